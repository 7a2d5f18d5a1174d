/**
 * `udf-studio doctor [--json]`: what the app found on this machine, and what is wrong.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, UdfStudioError } from '../../src-shared/errors.js';
import { Engine } from '../engine/engine.js';
import { homePaths } from '../engine/home.js';
import { resourcePaths } from '../engine/resources.js';
import { inspectRuntime, type RuntimeReport } from '../engine/runtime/python-env.js';
import { existingWorkspaces, SettingsStore } from '../engine/settings.js';
import { Workspace } from '../engine/workspace/workspace.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import { checkStorage, formatStorage, type StorageReport } from './doctor-storage.js';
import type { Command } from './command.js';
import { parseOptions } from './options.js';

interface WorkspaceReport {
  folders: string[];
  udfs: number;
  nodeTemplates: number;
  /** UDFs that do not load, with the reason (file and line where known). */
  broken: Array<{ name: string; dir: string; error: string }>;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'report the runtime, packages, paths and workspace, and what is wrong',
  usage: `udf-studio doctor [--json] [--workspace DIR]...

Checks the Python runtime (interpreter, pinned packages, the fused package), the home folder (its
disk space, the database, and a running engine's result cache) and every workspace UDF (each one is
loaded in a worker, so syntax errors show with their line).
  --json            print the report as JSON
  --workspace DIR   check DIR instead of the workspace folders of settings.json (else the
                    home's udfs/) (repeatable)
Exit status 0 when nothing is wrong, 1 otherwise.`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, { json: { type: 'boolean' }, workspace: { type: 'string', multiple: true } });
    if (positionals.length > 0) throw new UsageError(`doctor takes no arguments, got ${positionals.join(' ')}`);
    const paths = homePaths(io.env);
    const resources = resourcePaths(io.env);
    const runtime = await inspectRuntime(paths.runtime, resources, paths.userPackages);
    const folders = (values.workspace as string[] | undefined)
      ?? existingWorkspaces(new SettingsStore(paths.settings).read().workspaces, paths.settings, () => {}) ?? [paths.udfs];
    // Storage first: a damaged database would also stop the workspace check's engine.
    const storage = await checkStorage(paths);
    const workspace = runtime.ok && storage.database !== 'damaged' ? await checkWorkspace(folders, io.env) : staticWorkspace(folders);
    const clones = checkClones(paths.settings);
    const problems = [...runtime.problems, ...storage.problems, ...clones.problems, ...workspace.broken.map((b) => `UDF ${b.name} does not load: ${b.error}`)];
    const report = {
      node: process.version, platform: `${process.platform}-${process.arch}`,
      home: paths.root, resources: resources.root, runtime, storage, workspace, githubClones: clones.clones, problems, ok: problems.length === 0,
    };
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report.node, report.platform, paths.root, runtime, storage, workspace, clones.clones, problems));
    return report.ok ? 0 : EXIT_FAILURE;
  },
};

function staticWorkspace(folders: string[]): WorkspaceReport {
  const entries = new Workspace(folders).list();
  return {
    folders,
    udfs: entries.filter((e) => e.kind === 'udf').length,
    nodeTemplates: entries.filter((e) => e.kind === 'node-template').length,
    broken: entries.flatMap((e) => (e.kind === 'broken' ? [{ name: e.name, dir: e.dir, error: describeError(e.error) }] : [])),
  };
}

/** Loads every UDF's code in a worker, so code that does not compile is reported too. */
async function checkWorkspace(folders: string[], env: NodeJS.ProcessEnv): Promise<WorkspaceReport> {
  const report = staticWorkspace(folders);
  const engine = await Engine.open({ env, workspaces: folders, poolSize: 1, preload: [] });
  try {
    for (const entry of engine.workspace.list()) {
      if (entry.kind !== 'udf') continue;
      const described = await engine.describe(entry);
      if (!described.ok) report.broken.push({ name: entry.name, dir: entry.dir, error: describeError(described.error) });
    }
  } finally {
    await engine.close();
  }
  return report;
}

/** The `githubClones` setting, and clones that are not there (a malformed settings file included). */
function checkClones(settingsFile: string): { clones: Record<string, string>; problems: string[] } {
  let clones: Record<string, string>;
  try {
    clones = new SettingsStore(settingsFile).read().githubClones ?? {};
  } catch (error) {
    if (error instanceof UdfStudioError) return { clones: {}, problems: [describeError(error.data)] };
    throw error;
  }
  const problems = Object.entries(clones)
    .filter(([, folder]) => !existsSync(join(folder, '.git')) && !existsSync(join(folder, 'HEAD')))
    .map(([repo, folder]) => `the clone of ${repo} (githubClones in ${settingsFile}), ${folder}, is not a git repository`);
  return { clones, problems };
}

function formatReport(node: string, platform: string, home: string, runtime: RuntimeReport, storage: StorageReport, workspace: WorkspaceReport, clones: Record<string, string>, problems: string[]): string {
  const lines = [
    `UDF Studio doctor`,
    `  node         ${node} (${platform})`,
    `  home         ${home}`,
    `  storage      ${formatStorage(storage)}`,
    `  runtime      ${runtime.runtimeDir}`,
    `  python       ${runtime.pythonVersion ? `${runtime.pythonVersion} (${runtime.python})${runtime.pythonMatchesFused ? ", as Fused's image" : ''}` : 'not found'}`,
    `  fused        ${runtime.fusedVersion ?? 'not importable'}`,
    `  packages     ${formatPackages(runtime.packages)}`,
    `  added        ${formatAdded(runtime)}`,
    `  workspace    ${workspace.folders.join(', ')}: ${workspace.udfs} UDFs${workspace.nodeTemplates ? `, ${workspace.nodeTemplates} node templates` : ''}, ${workspace.broken.length} broken`,
    `  github       ${Object.entries(clones).map(([repo, folder]) => `${repo} from ${folder}`).join(', ') || 'no local clones (githubClones in settings.json)'}`,
    ...[...runtime.warnings, ...storage.warnings].map((warning) => `  warning      ${warning}`),
    '',
    problems.length === 0 ? 'No problems found.' : `${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The pinned packages in a line: how many, and the versions of the ones UDFs lean on most. */
function formatPackages(packages: Record<string, string | null>): string {
  const names = Object.keys(packages);
  if (names.length === 0) return 'unknown';
  const missing = names.filter((name) => packages[name] === null);
  const headline = ['pandas', 'numpy', 'geopandas', 'shapely', 'pyarrow', 'rasterio', 'duckdb'].filter((name) => packages[name]).map((name) => `${name} ${packages[name] ?? ''}`);
  return `${names.length} pinned${missing.length > 0 ? `, ${missing.length} missing` : ''} (${headline.join(', ')}; --json lists all)`;
}

/** The packages and extras the user added with `udf-studio install`. */
function formatAdded(runtime: RuntimeReport): string {
  const packages = Object.entries(runtime.userPackages).map(([name, { recorded, installed }]) => `${name} ${installed ?? `${recorded} MISSING`}`);
  const extras = runtime.extras.map((extra) => `extra ${extra}`);
  return [...packages, ...extras].join(', ') || 'none (udf-studio install PACKAGE adds one)';
}
