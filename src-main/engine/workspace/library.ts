/**
 * The window's view of the workspace: every UDF with its badges (tile or file, error), its page
 * (code, README, parameters, view), and which UDFs a settled change touched.
 *
 * Whether code compiles and which parameters it takes comes from loading it in a worker
 * (`describe`); answers are kept per code key, so each version is loaded once.
 */

import { cpSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { DefaultParameter, LibraryListing, LibraryUdf, UdfDetail, ViewState } from '../../../src-shared/app-api.js';
import { udfError, type ErrorData } from '../../../src-shared/errors.js';
import type { RunFailure, UdfDescription, UdfType } from '../../../src-shared/udf.js';
import type { ResourcePaths } from '../resources.js';
import type { UdfFolder } from './udf-folder.js';
import { Workspace, type WorkspaceEntry } from './workspace.js';

/** Descriptions kept; old code versions fall out first. */
const DESCRIPTION_LIMIT = 500;
const TILE_TYPES = new Set(['vector_tile', 'raster']);

type Described = { ok: true; description: UdfDescription } | { ok: false; error: ErrorData };

/** What the library reads of the engine (the engine satisfies it; this module sits below it). */
export interface LibraryEngine {
  readonly workspace: Workspace;
  readonly resources: ResourcePaths;
  describe(udf: UdfFolder): Promise<{ ok: true; description: UdfDescription } | RunFailure>;
}

export class Library {
  private readonly described = new Map<string, Promise<Described>>();

  /** `engineOf` gives the engine of the moment (it is reopened when the runtime is reset). */
  constructor(private readonly engineOf: () => LibraryEngine) {}

  private get engine(): LibraryEngine {
    return this.engineOf();
  }

  /**
   * Every UDF of every workspace folder, then the bundled examples no workspace folder has (by
   * folder name); each loaded once per code version.
   */
  async list(): Promise<LibraryListing> {
    const udfs = await Promise.all([
      ...this.engine.workspace.list().map((entry) => this.listed(entry, false)),
      ...this.examples().map((entry) => this.listed(entry, true)),
    ]);
    return { workspaces: [...this.engine.workspace.folders], examples: this.engine.resources.exampleUdfs, udfs };
  }

  /** The bundled examples that no workspace folder holds (a deleted example shows again here). */
  examples(): WorkspaceEntry[] {
    const present = new Set(this.engine.workspace.list().map((entry) => basename(entry.dir)));
    return new Workspace([this.engine.resources.exampleUdfs]).list().filter((entry) => !present.has(basename(entry.dir)));
  }

  /** Copies a bundled example into the first workspace folder; returns its new folder. */
  copyExample(name: string): string {
    const example = this.examples().find((entry) => basename(entry.dir) === name);
    if (!example) throw udfError('UDF_ERR_NOT_FOUND', `no bundled example "${name}" outside the workspace`);
    const target = join(this.engine.workspace.folders[0] as string, basename(example.dir));
    if (existsSync(target)) throw udfError('UDF_ERR_USAGE', `${target} already exists`);
    cpSync(example.dir, target, { recursive: true });
    return target;
  }

  /** A UDF's page by its (folder) name; UDF_ERR_NOT_FOUND for an unknown name. */
  async detail(name: string): Promise<UdfDetail> {
    const entry = this.entry(name);
    const listed = await this.listed(entry, this.isExample(entry));
    if (entry.kind !== 'udf') {
      return { ...listed, codeFile: null, code: '', headers: [], readme: null, defaultParameters: [], viewState: null, vizConfig: null, description: null };
    }
    const described = await this.describe(entry);
    const metadata = entry.source.metadata;
    return {
      ...listed,
      codeFile: entry.source.path ? relativeName(entry.dir, entry.source.path) : null,
      code: entry.source.code,
      headers: entry.source.headers.flatMap((header) => (header.path && dirname(header.path) === entry.dir ? [{ name: relativeName(entry.dir, header.path), code: header.code }] : [])),
      readme: entry.readme ?? (typeof metadata['fused:description'] === 'string' ? metadata['fused:description'] : null),
      defaultParameters: defaultParameters(metadata['fused:defaultParameters']),
      viewState: viewStateOf(metadata['fused:defaultViewState']),
      vizConfig: isRecord(metadata['fused:vizConfig']) ? metadata['fused:vizConfig'] : null,
      description: described.ok ? described.description : null,
    };
  }

  /** The entry listed under `name` (its folder's name), whatever its state: the workspace's, else an example. */
  entry(name: string): WorkspaceEntry {
    const entries = this.engine.workspace.list();
    const found = entries.find((entry) => basename(entry.dir) === name) ?? entries.find((entry) => entry.name === name)
      ?? this.examples().find((entry) => basename(entry.dir) === name);
    if (!found) throw udfError('UDF_ERR_NOT_FOUND', `no UDF named "${name}" in the workspace`);
    return found;
  }

  /** The workspace's own entry under `name`; a bundled example is refused (copy it in first). */
  workspaceEntry(name: string): WorkspaceEntry {
    const entry = this.entry(name);
    if (this.isExample(entry)) throw udfError('UDF_ERR_USAGE', `${name} is a bundled example; add it to your workspace to change it`);
    return entry;
  }

  private isExample(entry: WorkspaceEntry): boolean {
    return entry.workspace === this.engine.resources.exampleUdfs;
  }

  /**
   * The UDFs a settled change touched, by folder name, with their new code key (null when the
   * folder is gone or broken).
   */
  changedUdfs(entries: WorkspaceEntry[], paths: string[]): Array<{ name: string; key: string | null }> {
    const names = new Set<string>();
    for (const path of paths) {
      const owner = entries.find((entry) => path === entry.dir || path.startsWith(entry.dir + sep));
      if (owner) {
        names.add(basename(owner.dir));
        continue;
      }
      // A folder that is gone: its name is the path's first part inside a workspace folder.
      for (const folder of this.engine.workspace.folders) {
        const inside = relative(folder, path);
        if (inside && !inside.startsWith('..')) names.add(inside.split(sep)[0] as string);
      }
    }
    return [...names].map((name) => {
      const entry = entries.find((candidate) => basename(candidate.dir) === name);
      return { name, key: entry?.kind === 'udf' ? entry.source.key : null };
    });
  }

  private async listed(entry: WorkspaceEntry, example: boolean): Promise<LibraryUdf> {
    const base = {
      name: basename(entry.dir), displayName: entry.name, dir: entry.dir, workspace: entry.workspace, collection: entry.collection, example,
    };
    if (entry.kind === 'broken') {
      return { ...base, state: 'broken', udfType: null, tile: false, key: null, error: entry.error, summary: null, tags: [] };
    }
    if (entry.kind === 'node-template') {
      return { ...base, state: 'node-template', udfType: null, tile: false, key: null, error: null, summary: null, tags: [] };
    }
    const described = await this.describe(entry);
    const metadata = entry.source.metadata;
    return {
      ...base,
      state: described.ok ? 'ok' : 'broken',
      udfType: entry.udfType,
      tile: described.ok ? isTileUdf(entry.udfType, described.description) : TILE_TYPES.has(entry.udfType),
      key: entry.source.key,
      error: described.ok ? null : described.error,
      summary: summaryOf(entry.description ?? entry.readme),
      tags: tagsOf(metadata['fused:tags']),
    };
  }

  private describe(udf: UdfFolder): Promise<Described> {
    const key = udf.source.key;
    let known = this.described.get(key);
    if (!known) {
      known = this.engine.describe(udf).then(
        (result) => (result.ok ? result : { ok: false as const, error: result.error }),
        (error: unknown) => ({ ok: false as const, error: { code: 'UDF_ERR_PROTOCOL' as const, message: (error as Error).message } }),
      );
      if (this.described.size >= DESCRIPTION_LIMIT) this.described.delete(this.described.keys().next().value as string);
      this.described.set(key, known);
    }
    return known;
  }
}

function relativeName(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

/** The first paragraph of a description, without its markdown heading. */
function summaryOf(text: string | null): string | null {
  if (!text) return null;
  const paragraph = text.split(/\n\s*\n/).map((part) => part.trim()).find((part) => part && !part.startsWith('#'));
  return paragraph ? paragraph.replace(/\s+/g, ' ').slice(0, 240) : null;
}

function tagsOf(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((tag) => {
    if (typeof tag === 'string') return [tag];
    if (typeof tag === 'object' && tag !== null && typeof (tag as { label?: unknown }).label === 'string') return [(tag as { label: string }).label];
    return [];
  });
}

function defaultParameters(raw: unknown): DefaultParameter[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const entry = item as Record<string, unknown>;
    if (typeof entry.parameter !== 'string') return [];
    return [{
      parameter: entry.parameter,
      value: entry.value ?? null,
      type: typeof entry.type === 'string' ? entry.type : null,
      suggestedValues: Array.isArray(entry.suggestedValues) ? entry.suggestedValues : [],
    }];
  });
}

function isRecord(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/** Whether a UDF runs per map tile: its type says so, or its function takes a tile (`bounds`, ...). */
export function isTileUdf(udfType: UdfType, description: UdfDescription): boolean {
  return TILE_TYPES.has(udfType) || description.tileParam !== null;
}

/** `fused:defaultViewState` as the map reads it, or null when it does not give a place and zoom. */
export function viewStateOf(raw: unknown): ViewState | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { latitude, longitude, zoom } = raw as Record<string, unknown>;
  if (typeof latitude !== 'number' || typeof longitude !== 'number' || typeof zoom !== 'number') return null;
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || !Number.isFinite(zoom)) return null;
  return { latitude, longitude, zoom };
}
