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
  /** `fused:vizConfig` as the metadata has it (the map reads how to colour vector tiles from it). */
  vizConfig: Record<string, unknown> | null;
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
  /** Which engine answered: `local`, or the name of the remote the engine switch chose. */
  engine: 'x-udf-studio-engine',
} as const;

/** The result formats the window asks for, in order: each kind takes the first it supports. */
export const WINDOW_FORMATS = 'geojson,json,png,html,text,bytes';

/** `GET /api/settings`: what the engine runs with now, and what the next start will use. */
export interface AppSettings {
  /** The workspace folders served now (a change applies at once). */
  workspaces: string[];
  /** The port listened on now. */
  port: number;
  url: string;
  /** The command that opens a file in the user's editor; `{file}` and `{line}` are filled in. */
  editorCommand: string | null;
  /** The port the next start listens on (a change of port applies then). */
  nextPort: number;
  /** Choices of this start's command line (`serve --workspace`, `--port`) that win over the settings. */
  overridden: { workspaces: boolean; port: boolean };
  /** Where the settings are kept. */
  settingsFile: string;
  /** The local account the official client sees (`whoami()`, `email/Name` lookups), defaults filled in. */
  account: { email: string; handle: string };
  /** Whether the account's email and handle were set, or are the defaults from the system user. */
  accountSet: { email: boolean; handle: boolean };
  /** Python lines that point the official `fused` client at this engine (the token read from its file). */
  fusedClientSetup: string;
  /** A package a UDF misses installs itself (at Fused's version) when Fused's image has it. */
  autoInstallPackages: boolean;
  /** Local git clones by GitHub `org/repo` that `fused.load` reads that repository's URLs from. */
  githubClones: Record<string, string>;
}

/** `POST /api/settings`: any of these; `null` goes back to the default. */
export interface SettingsChange {
  workspaces?: string[] | null;
  port?: number | null;
  editorCommand?: string | null;
  email?: string | null;
  handle?: string | null;
  autoInstallPackages?: boolean | null;
  githubClones?: Record<string, string> | null;
}

/** A configured remote engine as the app API lists it: never its token. */
export interface RemoteSummary {
  name: string;
  url: string;
  /** The remote runs go to when none is named (the first one configured). */
  isDefault: boolean;
}

/** `GET /api/remotes`: the remotes, and the UDFs the engine switch sends to one of them. */
export interface RemotesListing {
  remotes: RemoteSummary[];
  engines: Array<{ name: string; remote: string }>;
}

/** `POST /api/remotes`; the token goes in once and never comes back out. */
export interface NewRemote {
  name: string;
  url: string;
  token: string;
}

/** Secret names: what `fused.secrets.NAME` and a URL segment can carry. The same rule as the runtime's `_secret_store.py`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
export const SECRET_NAME_RULE = 'a letter or _, then letters, digits, _ or - (at most 128)';
/** Largest secret value, in bytes of UTF-8. */
export const MAX_SECRET_VALUE_BYTES = 65_536;

/** `GET /api/secrets`: the names of the home's secrets, sorted; values never leave the engine. */
export interface SecretsListing {
  secrets: Array<{ name: string }>;
}

/** `POST /api/secrets`: the value goes in once and never comes back out. */
export interface NewSecret {
  name: string;
  value: string;
}

/** The answer to `POST /api/secrets`: whether a secret of that name was replaced. */
export interface SecretSaved {
  name: string;
  replaced: boolean;
}

/**
 * Where a UDF stands against a remote:
 * - `synced`: the same on both sides
 * - `local-changes` / `remote-changes`: changed on one side since the last sync (push / pull it)
 * - `conflict`: changed on both sides, or different on both sides with no sync on record
 * - `local-only` / `remote-only`: on one side only
 */
export type SyncState = 'synced' | 'local-changes' | 'remote-changes' | 'conflict' | 'local-only' | 'remote-only';

export interface UdfSyncStatus {
  name: string;
  id: string;
  state: SyncState;
  localHash: string | null;
  remoteHash: string | null;
  syncedAt: string | null;
}

/** `GET /api/remotes/{remote}/sync`. */
export interface SyncListing {
  remote: string;
  /** The remote's changes arrive as `remote-changed` events (another UDF Studio); else check again to see them. */
  live: boolean;
  udfs: UdfSyncStatus[];
}

/** `POST /api/udfs/{name}/push` and `/pull`: what happened on the receiving side. */
export interface SyncActionResult {
  name: string;
  id: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** `GET`/`POST /api/udfs/{name}/engine`: where the UDF's runs go (null: this engine). */
export interface UdfEngineChoice {
  name: string;
  remote: string | null;
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
  /** A UDF was pushed to or pulled from a remote, or the engine switch moved it (remote null: local). */
  | { type: 'remote'; udf: string; change: 'pushed' | 'pulled' | 'engine'; remote: string | null }
  /** A followed remote's workspace changed (`udf` null: anything may have; sent when its stream opens or drops). */
  | { type: 'remote'; udf: string | null; change: 'remote-changed'; remote: string }
  /** A remote was added or removed (through the app API). */
  | { type: 'remote'; udf: null; change: 'added' | 'removed'; remote: string }
  | { type: 'run'; udf: string; ok: boolean; durationMs: number; cache: 'hit' | 'miss' | 'off'; stdout: string; stderr: string; error: ErrorData | null }
  /** The result cache started failing to store results (disk full, index locked...), or stores them again (null). */
  | { type: 'storage'; problem: StorageProblemData | null };

/** Why the result cache is not storing results: the error, since when, how many writes failed. */
export interface StorageProblemData extends ErrorData {
  since: string;
  failures: number;
}

/**
 * The window's session key: the one-time link's redirect hands it to the page in the URL fragment
 * (`/#session-key=KEY`, never sent to a server), the page keeps it in its origin's storage and sends
 * it with every API call. The session cookie alone is not enough: browsers send it to every port of
 * 127.0.0.1, so another local server could replay it; that server never sees the key.
 */
export const SESSION_KEY = {
  header: 'x-udf-studio-session',
  /** EventSource cannot send headers: the event stream takes the key as this query parameter. */
  query: 'session-key',
  fragment: 'session-key',
  storage: 'udf-studio-session-key',
} as const;
