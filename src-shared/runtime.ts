/**
 * The Python runtime's state as the engine reports it to the window (`GET /api/runtime` and the
 * `runtime` events): first-run setup, repair, reset, and failures with their log.
 */

import type { ErrorData } from './errors.js';

/**
 * `checking`: the health check runs; `setting-up`: the venv is being created, repaired or updated;
 * `starting`: the workers start; `ready`: UDFs run; `failed`: setup or the workers failed (see `error`).
 */
export type RuntimePhase = 'checking' | 'setting-up' | 'starting' | 'ready' | 'failed';

/** Why setup runs: no runtime yet, a broken one, requirements that changed, or the user asked. */
export type RuntimeSetupReason = 'first-run' | 'repair' | 'update' | 'reset';

export interface RuntimeStatus {
  phase: RuntimePhase;
  /** Null when the runtime needed no setup. */
  reason: RuntimeSetupReason | null;
  /** What is happening now, in a few words. */
  step: string;
  /** What the health check found wrong (empty when it found nothing). */
  problems: string[];
  error: ErrorData | null;
  runtimeDir: string;
}

/** The body of `GET /api/runtime`. */
export interface RuntimeReportBody extends RuntimeStatus {
  /** The last lines of the setup log (pip's output included). */
  log: string[];
  /** Plain text for a bug report: versions, paths, the error, the doctor's findings, the log tail. */
  diagnostics: string;
}

/**
 * Runtime log lines that start with this tell of packages installed while the runtime is ready
 * (`udf-studio install` through the engine, the Install button, the auto-install setting); the
 * window shows them as notices.
 */
export const PACKAGE_NOTE = 'packages: ';
