/**
 * The app API: what the window and the engine exchange over `/api/*` and the event stream.
 *
 * One typed contract for both sides; the renderer's api client and the engine's app routes use
 * these shapes and nothing else.
 */

import type { ErrorData } from './errors.js';
import type { JobSummary } from './jobs.js';
import type { RuntimeStatus } from './runtime.js';
import type { UdfDescription, UdfType } from './udf.js';

/** A UDF as the library lists it. */
export interface LibraryUdf {
  /** The name runs and URLs use (the folder's name). */
  name: string;
  /** The UDF's own name from meta.json, when it differs from the folder's. */
  displayName: string;
  dir: string;
  workspace: string;
  collection: string | null;
  state: 'ok' | 'broken' | 'node-template';
  udfType: UdfType | null;
  /** Runs per map tile (a tile UDF) rather than once (a file UDF). */
  tile: boolean;
  /** Changes exactly when the code does; the map busts its tile URLs with it. */
  key: string | null;
  /** Why the UDF does not load (bad folder, code that does not compile), with file and line. */
  error: ErrorData | null;
  summary: string | null;
  tags: string[];
  /** A bundled example that is not in any workspace folder: shown, and copied in to run or edit. */
  example: boolean;
}

export interface LibraryListing {
  workspaces: string[];
  /** Where the bundled examples are. */
  examples: string;
  udfs: LibraryUdf[];
}

/** One entry of `fused:defaultParameters`. */
export interface DefaultParameter {
  parameter: string;
  value: unknown;
  type: string | null;
  suggestedValues: unknown[];
}

/** Fused's `fused:defaultViewState`. */
export interface ViewState {
  latitude: number;
  longitude: number;
  zoom: number;
}

/** A UDF's page: the listing entry plus its code, README, parameters and view. */
export interface UdfDetail extends LibraryUdf {
  /** The main code file's name in the folder (null for inline code, which is read-only). */
  codeFile: string | null;
  code: string;
  /** Header modules kept as files in the folder, editable like the code. */
  headers: Array<{ name: string; code: string }>;
  readme: string | null;
  defaultParameters: DefaultParameter[];
  viewState: ViewState | null;
  /** From loading the code in a worker; null when it does not load (see `error`). */
  description: UdfDescription | null;
}

/** `POST /api/udfs/{name}/run` body; parameter values are strings, converted by annotation. */
export interface AppRunRequest {
  params: Record<string, string>;
}

/** Response headers of an app run, besides the result's own content type. */
export const RUN_HEADERS = {
  kind: 'x-udf-studio-kind',
  durationMs: 'x-udf-studio-duration-ms',
  cache: 'x-udf-studio-cache',
  metadata: 'x-fused-metadata',
} as const;

/** The result formats the window asks for, in order: each kind takes the first it supports. */
export const WINDOW_FORMATS = 'geojson,json,png,html,text,bytes';

export interface AppSettings {
  workspaces: string[];
  port: number;
  url: string;
  /** The command that opens a file in the user's editor; `{file}` and `{line}` are filled in. */
  editorCommand: string | null;
}

/** What `udf-studio doctor` finds in the runtime, for the Settings view. */
export interface RuntimeHealth {
  ok: boolean;
  python: string | null;
  pythonVersion: string | null;
  fusedVersion: string | null;
  packages: Record<string, string | null>;
  runtimeDir: string;
  home: string;
  workers: number;
  problems: string[];
}

/** What the event stream (`GET /api/events`, server-sent events) carries: every engine event. */
export type AppEvent =
  | { type: 'hello'; at: string }
  | { type: 'workspace'; changed: Array<{ name: string; key: string | null }> }
  | { type: 'job'; job: JobSummary }
  | { type: 'runtime'; status: RuntimeStatus; line: string | null }
  | { type: 'remote'; udf: string; change: 'pushed' | 'pulled' | 'engine'; remote: string | null }
  | { type: 'run'; udf: string; ok: boolean; durationMs: number; cache: 'hit' | 'miss' | 'off'; stdout: string; stderr: string; error: ErrorData | null };
