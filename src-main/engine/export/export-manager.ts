/**
 * Exports: every tile of an area run as a job through the engine (its cache, its workers, the
 * job's retries, progress and cancel), kept in a staging file as they arrive, then written to a
 * PMTiles or MBTiles archive beside its final path and renamed into place.
 *
 * A cancelled export, or one with failed tiles, keeps its staging: the same export started again
 * fetches only the tiles it lacks, so failed tiles are retried without redoing the rest.
 */

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UdfStudioError, udfError, type ErrorData } from '../../../src-shared/errors.js';
import { EXPORT_TILE_LIMIT, type ExportPlan, type ExportState, type TileFailure, type TileFormat } from '../../../src-shared/exports.js';
import { HTTP_DEFAULTS } from '../../../src-shared/formats.js';
import type { Tile } from '../../../src-shared/tiles.js';
import type { RunFailure, RunSuccess, UdfDescription } from '../../../src-shared/udf.js';
import { cachedTileCount, tileTimings } from '../cache/tile-history.js';
import type { Db } from '../store/database.js';
import type { UdfFolder } from '../workspace/udf-folder.js';
import type { Job, ResultStore, RunFunction } from '../jobs/job.js';
import { DEFAULT_MAX_RETRY, type JobManager } from '../jobs/job-manager.js';
import type { ArchiveInput, ArchiveWritten } from './archive-input.js';
import { checkExportRequest, type CheckedExport } from './export-request.js';
import { ExportStaging, keptCount, removeStaging } from './export-staging.js';
import { writeMbtiles } from './mbtiles-writer.js';
import { isEmptyMvt, LayerCollector } from './mvt-layers.js';
import { writePmtiles } from './pmtiles-writer.js';
import { spanSize, tileCount, tilesOf, zoomSpans, type ZoomSpan } from './tile-range.js';

/** Tiles of one export in flight at once (the worker pool queues the rest). */
const EXPORT_CONCURRENCY = 16;
/** Failed tiles listed whole in the export's state; the rest are counted. */
const LISTED_FAILURES = 100;
/** What fetching a cached tile and keeping it costs, for estimates (ms). */
const CACHED_TILE_MS = 1;
const TILE_UDF_TYPES = new Set(['vector_tile', 'raster']);
/** The archive being written: `.NAME.RANDOM.part` beside it. */
const PART_SUFFIX = '.part';

/** What exports need from the engine (injected, so that this module sits beside the jobs). */
export interface ExportServices {
  jobs: JobManager;
  run: RunFunction;
  resolveUdf(name: string): UdfFolder;
  describe(udf: UdfFolder): Promise<{ ok: true; description: UdfDescription } | RunFailure>;
  udfId(udf: UdfFolder): string;
  db: Db;
  /** Where stagings are kept (the home's `exports/`). */
  stagingRoot: string;
  /** Where a relative archive path goes: the first workspace folder. */
  baseFolder(): string;
  /** Runs at once in the worker pool, for estimates. */
  workers: number;
}

interface Prepared {
  request: CheckedExport;
  udf: UdfFolder;
  tileFormat: TileFormat;
  plan: ExportPlan;
}

export class ExportManager {
  /** Exports running, by archive path. */
  private readonly active = new Set<string>();

  constructor(private readonly services: ExportServices) {}

  /** What an export would do (tile count, estimate), without starting it. */
  async plan(body: Record<string, unknown>): Promise<ExportPlan> {
    return (await this.prepare(body)).plan;
  }

  /** Starts an export (or resumes one); throws UDF_ERR_EXPORT_TOO_LARGE for an unconfirmed large area. */
  async start(body: Record<string, unknown>): Promise<Job> {
    const { request, udf, tileFormat, plan } = await this.prepare(body);
    if (plan.needsForce) {
      throw udfError('UDF_ERR_EXPORT_TOO_LARGE', `${plan.tiles.toLocaleString('en')} tiles is over the limit of ${EXPORT_TILE_LIMIT.toLocaleString('en')}: confirm with --force ("force": true), or choose a smaller area or fewer zooms`);
    }
    if (this.active.has(request.out)) throw udfError('UDF_ERR_EXPORT_BUSY', `an export to ${request.out} is already running; cancel it or wait for it`);
    const staging = new ExportStaging(this.services.stagingRoot, request.out, identityOf(udf, request.params, tileFormat));
    const kept = staging.keptIn(request.range);
    const remaining = [...tilesOf(request.range)].filter((tile) => !kept.has(`${tile.z}/${tile.x}/${tile.y}`));
    const state: ExportState = {
      out: request.out, format: request.format, tileFormat, state: 'fetching', tiles: plan.tiles, kept: kept.size,
      failed: [], failedCount: 0, archive: null, error: null,
    };
    this.active.add(request.out);
    let job: Job;
    try {
      job = this.submit(request, udf, staging, state, remaining);
    } catch (error) {
      this.active.delete(request.out);
      staging.close();
      throw error;
    }
    return job;
  }

  private submit(request: CheckedExport, udf: UdfFolder, staging: ExportStaging, state: ExportState, remaining: Tile[]): Job {
    const tileFormat = state.tileFormat;
    return this.services.jobs.submit({
      base: { udf, tile: null, formats: [tileFormat], defaults: HTTP_DEFAULTS, cacheMaxAge: request.noCache ? 0 : null },
      argList: remaining.map(() => ({})),
      params: request.params,
      tiles: remaining,
      maxWorkers: EXPORT_CONCURRENCY,
      maxRetry: DEFAULT_MAX_RETRY,
      results: new StagingResults(staging, remaining, tileFormat),
      finish: (finished, cancelled) => this.finish(finished, cancelled, request, udf, staging, state),
      report: () => ({ export: state }),
    });
  }

  private async prepare(body: Record<string, unknown>): Promise<Prepared> {
    const request = checkExportRequest(body, this.services.baseFolder());
    const udf = this.services.resolveUdf(request.udf);
    await this.requireTileUdf(udf);
    const tileFormat = request.tileFormat ?? (await this.defaultTileFormat(udf, request));
    const spans = zoomSpans(request.range);
    const tiles = tileCount(request.range);
    const kept = keptCount(this.services.stagingRoot, request.out, identityOf(udf, request.params, tileFormat), request.range);
    const udfId = this.services.udfId(udf);
    // Nothing known of this UDF's tiles: run one (cached, so the export reuses it) to estimate from.
    if (!request.noCache && !tileTimings(this.services.db, udfId, udf.source.key, tileFormat)) await this.probe(udf, request, tileFormat);
    const cached = request.noCache ? 0 : Math.min(tiles - kept, spans.reduce((sum, span) => sum + cachedTileCount(this.services.db, udfId, udf.source.key, tileFormat, span), 0));
    const plan: ExportPlan = {
      udf: udf.name, out: request.out, format: request.format, tileFormat, bbox: request.range.bbox, minZoom: request.range.minZoom, maxZoom: request.range.maxZoom,
      tiles, perZoom: spans.map((span) => ({ z: span.z, tiles: spanSize(span) })), kept, cached,
      estimate: this.estimate(udf, udfId, tileFormat, tiles, kept, cached), limit: EXPORT_TILE_LIMIT, needsForce: tiles > EXPORT_TILE_LIMIT && !request.force,
    };
    return { request, udf, tileFormat, plan };
  }

  /** A tile UDF by its metadata, else by taking a tile (its `bounds` or tile parameter). */
  private async requireTileUdf(udf: UdfFolder): Promise<void> {
    if (TILE_UDF_TYPES.has(udf.udfType)) return;
    const described = await this.services.describe(udf);
    if (!described.ok) throw new UdfStudioError(described.error);
    if (described.description.tileParam === null) {
      throw udfError('UDF_ERR_EXPORT_NOT_TILE', `${udf.name} is not a tile UDF (its fused:udfType is "${udf.udfType}" and it takes no bounds or tile parameter): only a tile UDF can be baked into a tile archive`);
    }
  }

  /** mvt for vector tile UDFs, png for raster ones; otherwise what the area's first tile turns out to be. */
  private async defaultTileFormat(udf: UdfFolder, request: CheckedExport): Promise<TileFormat> {
    if (udf.udfType === 'vector_tile') return 'mvt';
    if (udf.udfType === 'raster') return 'png';
    const first = tilesOf(request.range).next().value as Tile;
    const { outcome } = await this.services.run({ udf, params: request.params, tile: first, formats: ['mvt', 'png'], defaults: HTTP_DEFAULTS });
    return outcome.ok && outcome.format === 'png' ? 'png' : 'mvt';
  }

  /** Runs the tile at the middle of the deepest zoom, the zoom most of the tiles are at. */
  private async probe(udf: UdfFolder, request: CheckedExport, tileFormat: TileFormat): Promise<void> {
    const span = zoomSpans(request.range).at(-1) as ZoomSpan;
    const tile = { z: span.z, x: Math.floor((span.minX + span.maxX) / 2), y: Math.floor((span.minY + span.maxY) / 2) };
    await this.services.run({ udf, params: request.params, tile, formats: [tileFormat], defaults: HTTP_DEFAULTS });
  }

  private estimate(udf: UdfFolder, udfId: string, tileFormat: TileFormat, tiles: number, kept: number, cached: number): ExportPlan['estimate'] {
    const timings = tileTimings(this.services.db, udfId, udf.source.key, tileFormat);
    if (!timings) return { seconds: null, bytes: null, basis: 'no tile of this UDF has run yet: the estimate comes once the first tiles have' };
    const toRun = Math.max(0, tiles - kept - cached);
    const seconds = (toRun * timings.medianMs / Math.max(1, this.services.workers) + cached * CACHED_TILE_MS) / 1000;
    const bytes = timings.meanBytes === null ? 0 : Math.round(tiles * (1 - timings.emptyShare) * timings.meanBytes);
    return { seconds, bytes, basis: `from the UDF's ${timings.samples} latest cached tiles: ${Math.round(timings.medianMs)} ms a tile on ${this.services.workers} workers, ${((timings.meanBytes ?? 0) / 1024).toFixed(1)} KiB a tile before compression, ${Math.round(timings.emptyShare * 100)}% empty` };
  }

  /** Lists the failures, then writes the archive (unless the job was cancelled); the staging stays until every tile is in. */
  private async finish(job: Job, cancelled: boolean, request: CheckedExport, udf: UdfFolder, staging: ExportStaging, state: ExportState): Promise<void> {
    this.active.delete(request.out);
    const failed: TileFailure[] = [];
    for (const run of job.detail().runs) {
      if (run.status === 'failed' && run.tile) failed.push({ ...run.tile, error: run.error ?? { code: 'UDF_ERR_RUNTIME', message: 'the tile failed' } });
    }
    state.failed = failed.slice(0, LISTED_FAILURES);
    state.failedCount = failed.length;
    if (cancelled) {
      state.state = 'cancelled';
      staging.close();
      return;
    }
    state.state = 'writing';
    try {
      const { tiles, empty } = staging.archiveTiles(request.range);
      const written = await writeArchive(request, archiveInput(request, udf, staging, tiles, state.tileFormat));
      state.archive = { ...written, empty };
      state.state = 'written';
    } catch (error) {
      state.state = 'failed';
      state.error = errorData(error, request.out);
      throw new UdfStudioError(state.error);
    } finally {
      staging.close();
    }
    if (failed.length === 0) removeStaging(this.services.stagingRoot, request.out);
  }
}

/** Keeps each tile in the staging as it arrives: empty tiles as such, other encodings refused. */
class StagingResults implements ResultStore {
  constructor(private readonly staging: ExportStaging, private readonly tiles: readonly Tile[], private readonly format: TileFormat) {}

  keep(index: number, outcome: RunSuccess): ErrorData | null {
    const tile = this.tiles[index] as Tile;
    const empty = outcome.empty || outcome.kind === 'empty' || outcome.body.byteLength === 0 || (this.format === 'mvt' && outcome.format === 'mvt' && isEmptyMvt(outcome.body));
    if (!empty && outcome.format !== this.format) {
      return { code: 'UDF_ERR_FORMAT', message: `tile ${tile.z}/${tile.x}/${tile.y} came back as ${outcome.format}, not ${this.format}: an archive holds one tile encoding` };
    }
    try {
      this.staging.put(tile, empty ? null : outcome.body);
      return null;
    } catch (error) {
      return { code: 'UDF_ERR_DISK_WRITE', message: `the export could not keep tile ${tile.z}/${tile.x}/${tile.y} (${(error as Error).message}): is the disk full?` };
    }
  }

  read(index: number): Uint8Array {
    const tile = this.tiles[index] as Tile;
    if (!this.staging.open) throw udfError('UDF_ERR_FILE_NOT_FOUND', `tile ${tile.z}/${tile.x}/${tile.y} of an export that has ended is in its archive, not kept with the job`);
    return this.staging.tileBytes(tile) ?? new Uint8Array();
  }
}

function archiveInput(request: CheckedExport, udf: UdfFolder, staging: ExportStaging, tiles: ArchiveInput['tiles'], tileFormat: TileFormat): ArchiveInput {
  const layers = new LayerCollector();
  if (tileFormat === 'mvt') for (const hash of new Set(tiles.map((tile) => tile.hash))) layers.add(staging.read(hash));
  return {
    tiles, read: (hash) => staging.read(hash), tileFormat, name: udf.name,
    description: `${udf.name}, baked by UDF Studio`,
    bounds: request.range.bbox, minZoom: request.range.minZoom, maxZoom: request.range.maxZoom,
    layers: layers.result(), extra: { generator: 'UDF Studio', udf: udf.name, parameters: request.params },
  };
}

/**
 * Writes the archive to a temporary file beside `out` and renames it into place; a failure leaves
 * nothing, and what an engine killed while writing left is removed by the next write.
 */
async function writeArchive(request: CheckedExport, input: ArchiveInput): Promise<ArchiveWritten> {
  const folder = dirname(request.out);
  const prefix = `.${basename(request.out)}.`;
  for (const name of readdirSync(folder)) if (name.startsWith(prefix) && name.endsWith(PART_SUFFIX)) rmSync(join(folder, name), { force: true });
  const temporary = join(folder, `${prefix}${randomBytes(6).toString('hex')}${PART_SUFFIX}`);
  try {
    const written = await (request.format === 'pmtiles' ? writePmtiles(temporary, input) : writeMbtiles(temporary, input));
    renameSync(temporary, request.out);
    return written;
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** What makes kept tiles reusable: the same code, parameters and encoding. */
function identityOf(udf: UdfFolder, params: Record<string, string>, tileFormat: TileFormat): string {
  const sorted = Object.keys(params).sort().map((name) => [name, params[name]]);
  return createHash('sha256').update(JSON.stringify([udf.name, udf.source.key, sorted, tileFormat])).digest('hex');
}

function errorData(error: unknown, out: string): ErrorData {
  if (error instanceof UdfStudioError) return error.data;
  const code = (error as NodeJS.ErrnoException).code;
  return { code: 'UDF_ERR_EXPORT_TARGET', message: `could not write ${out}: ${code ? `${code}, ` : ''}${(error as Error).message}` };
}
