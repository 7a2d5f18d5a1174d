/**
 * `udf-studio export NAME --bbox W,S,E,N --zoom MIN-MAX --out FILE`: every tile of an area baked
 * into a PMTiles or MBTiles archive, as a job on the running engine (else on one in this process),
 * with its tile count and estimate first and a progress bar.
 */

import { resolve } from 'node:path';
import { describeError, isErrorCode, UdfStudioError, udfError } from '../../src-shared/errors.js';
import { TILE_FORMATS, type ExportPlan, type ExportState } from '../../src-shared/exports.js';
import type { JobSummary } from '../../src-shared/jobs.js';
import { Engine } from '../engine/engine.js';
import { parseBbox, parseZoomRange } from '../engine/export/tile-range.js';
import { homePaths } from '../engine/home.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import type { CliIo, Command } from './command.js';
import { followJob, type JobPolling, type Progress } from './follow-job.js';
import { keyValueOptions, parseOptions, stringOption } from './options.js';
import { findRunningEngine, type RunningEngine } from './running-engine.js';

/** Failed tiles listed at the end; the rest are counted. */
const SHOWN_FAILURES = 10;

export const exportCommand: Command = {
  name: 'export',
  summary: 'bake every tile of an area into a PMTiles or MBTiles archive',
  usage: `udf-studio export NAME --bbox W,S,E,N --zoom MIN-MAX --out FILE [options]

NAME is a tile UDF of the workspace.
  -b, --bbox W,S,E,N       the area in degrees (west, south, east, north; latitudes within ±85.0511)
  -z, --zoom MIN-MAX       the zooms, 0 to 24 (e.g. 10-14, or 12 for one)
  -o, --out FILE           the archive: FILE.pmtiles (PMTiles v3) or FILE.mbtiles
  -p, --param NAME=VALUE   a parameter every tile gets (repeat for more)
  --tile-format F          ${TILE_FORMATS.join(', ')} (default: mvt for vector tile UDFs, png for raster ones)
  --no-cache               run every tile, even those the result cache holds
  --force                  go ahead with an area of more than 10,000 tiles
  --workspace DIR          look the name up in DIR (repeatable)
It prints the tile count and an estimate of time and size, then runs every tile as a job on the
engine "udf-studio serve" started (shown in the window's Jobs view), else on an engine started for
this command. Empty tiles are left out. The archive is written beside FILE and renamed into place
once whole. Ctrl-C cancels; the same command again resumes from the tiles already fetched, and
after failed tiles it fetches only those.
Exit status: 0 when every tile is in the archive, 1 when tiles failed or the export did not finish,
2 on a usage error (a bad area or zoom range, or an area over the limit without --force).`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      bbox: { type: 'string', short: 'b' },
      zoom: { type: 'string', short: 'z' },
      out: { type: 'string', short: 'o' },
      param: { type: 'string', short: 'p', multiple: true },
      'tile-format': { type: 'string' },
      'no-cache': { type: 'boolean' },
      force: { type: 'boolean' },
      workspace: { type: 'string', multiple: true },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'export needs the NAME of a tile UDF' : `export takes one NAME, got ${positionals.length}: ${positionals.join(' ')}`);
    const bbox = stringOption(values, 'bbox');
    const zoom = stringOption(values, 'zoom');
    const out = stringOption(values, 'out');
    if (!bbox) throw new UsageError('export needs --bbox W,S,E,N');
    if (!zoom) throw new UsageError('export needs --zoom MIN-MAX');
    if (!out) throw new UsageError('export needs --out FILE.pmtiles or FILE.mbtiles');
    const tileFormat = stringOption(values, 'tile-format');
    const body: Record<string, unknown> = {
      udf: positionals[0], bbox: parseBbox(bbox), ...parseZoomRange(zoom), out: resolve(out), params: keyValueOptions(values, 'param'),
      ...(tileFormat ? { tileFormat } : {}), ...(values['no-cache'] ? { noCache: true } : {}), ...(values.force ? { force: true } : {}),
    };
    const workspaces = values.workspace as string[] | undefined;
    const running = workspaces?.length ? null : await findRunningEngine(homePaths(io.env));
    const engine = running ? null : await Engine.open({ env: io.env, preload: [], ...(workspaces ? { workspaces } : {}) });
    try {
      return await runExport(running ? new HttpExports(running) : new LocalExports(engine as Engine), body, io);
    } finally {
      await engine?.close();
    }
  },
};

/** How long one wait for the job's progress lasts before the bar is redrawn anyway. */
const WAIT_MS = 1_000;

/**
 * Where the export runs: the running engine over HTTP, or an engine in this process. Its `next`
 * answers the job without its runs: an export may have thousands.
 */
interface ExportClient extends JobPolling<Progress> {
  readonly where: string;
  plan(body: Record<string, unknown>): Promise<ExportPlan>;
  start(body: Record<string, unknown>): Promise<JobSummary>;
}

async function runExport(exports: ExportClient, body: Record<string, unknown>, io: CliIo): Promise<number> {
  const plan = await exports.plan(body);
  io.stderr.write(`${planText(plan)}\n`);
  if (plan.needsForce) {
    throw udfError('UDF_ERR_EXPORT_TOO_LARGE', `${plan.tiles.toLocaleString('en')} tiles is over the limit of ${plan.limit.toLocaleString('en')}: add --force to go ahead, or choose a smaller area or fewer zooms`);
  }
  const started = await exports.start(body);
  io.stderr.write(`exporting on ${exports.where}\n`);
  const job = await followJob(exports, await exports.next(started.id, 0), io, 'cancelling the export (run the same command again to resume)...');
  const state = job.export as ExportState;
  for (const failure of state.failed.slice(0, SHOWN_FAILURES)) io.stderr.write(`tile ${failure.z}/${failure.x}/${failure.y} failed: ${describeError(failure.error)}\n`);
  if (state.failedCount > SHOWN_FAILURES) io.stderr.write(`... and ${state.failedCount - SHOWN_FAILURES} more failed tiles\n`);
  if (state.state === 'written' && state.archive) {
    const { archive } = state;
    io.stderr.write(`wrote ${state.out}: ${archive.tiles} tiles (${archive.contents} distinct, ${archive.empty} empty left out), ${formatBytes(archive.bytes)}\n`);
    if (state.failedCount > 0) io.stderr.write(`${state.failedCount} tiles failed and are missing from it: run the same command again to fetch only those\n`);
    return state.failedCount > 0 ? EXIT_FAILURE : 0;
  }
  if (state.state === 'cancelled') io.stderr.write(`cancelled: nothing was written; run the same command again to resume\n`);
  else if (state.error) io.stderr.write(`udf-studio: ${describeError(state.error)}\n`);
  return EXIT_FAILURE;
}

export function planText(plan: ExportPlan): string {
  const zooms = plan.perZoom.map(({ z, tiles }) => `${z}: ${tiles.toLocaleString('en')}`).join(', ');
  const lines = [`${plan.udf}: ${plan.tiles.toLocaleString('en')} tiles at zooms ${plan.minZoom}-${plan.maxZoom} (${zooms}) as ${plan.tileFormat} into ${plan.out}`];
  if (plan.kept) lines.push(`  ${plan.kept.toLocaleString('en')} kept from an earlier run of this export (not fetched again)`);
  if (plan.cached) lines.push(`  ${plan.cached.toLocaleString('en')} in the result cache`);
  const { seconds, bytes, basis } = plan.estimate;
  lines.push(seconds === null ? `  estimate: ${basis}` : `  estimate: about ${formatSeconds(seconds)} and ${formatBytes(bytes ?? 0)} (${basis})`);
  return lines.join('\n');
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

class LocalExports implements ExportClient {
  readonly where = 'an engine in this process (start "udf-studio serve" to use its workers and show the export in the window\'s Jobs view)';

  constructor(private readonly engine: Engine) {}

  plan(body: Record<string, unknown>): Promise<ExportPlan> {
    return this.engine.exports.plan(body);
  }

  async start(body: Record<string, unknown>): Promise<JobSummary> {
    return (await this.engine.exports.start(body)).summary();
  }

  async next(id: string, version: number): Promise<Progress> {
    await this.engine.jobs.waitForChange(id, version, WAIT_MS);
    const job = this.engine.jobs.get(id);
    return { ...job.summary(), version: job.version };
  }

  cancel(id: string): Promise<void> {
    this.engine.jobs.get(id).cancel();
    return Promise.resolve();
  }
}

class HttpExports implements ExportClient {
  readonly where: string;

  constructor(private readonly engine: RunningEngine) {
    this.where = `the engine at ${engine.url}`;
  }

  async plan(body: Record<string, unknown>): Promise<ExportPlan> {
    return (await this.call('POST', '/api/exports/plan', body)) as ExportPlan;
  }

  async start(body: Record<string, unknown>): Promise<JobSummary> {
    return (await this.call('POST', '/api/exports', body)) as JobSummary;
  }

  async next(id: string, version: number): Promise<Progress> {
    return (await this.call('GET', `/api/jobs/${encodeURIComponent(id)}?since=${version}&wait=${WAIT_MS}&runs=false`)) as Progress;
  }

  async cancel(id: string): Promise<void> {
    await this.call('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`, {});
  }

  private async call(method: string, path: string, body?: Record<string, unknown>): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.engine.url}${path}`, {
        method, headers: { authorization: `Bearer ${this.engine.privateToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw udfError('UDF_ERR_ENGINE_CLOSED', `lost the engine at ${this.engine.url}: ${(error as Error).message}`);
    }
    const answer = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (!response.ok) {
      const code = isErrorCode(answer.error?.code) ? answer.error.code : 'UDF_ERR_BAD_REQUEST';
      throw new UdfStudioError({ code, message: typeof answer.error?.message === 'string' ? answer.error.message : `the engine answered ${response.status}` });
    }
    return answer;
  }
}
