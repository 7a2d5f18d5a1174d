/**
 * Brings the Python runtime to a usable state when the app starts, and says how it goes.
 *
 * The health check, first-run setup, repair and reset each report their steps and every line of
 * pip's output as `runtime` events on the engine's bus; the log is kept (its tail in memory for the
 * window, all of it in the home's logs folder), and a failure carries diagnostics a user can copy.
 */

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UdfStudioError, type ErrorData } from '../../../src-shared/errors.js';
import type { RuntimeReportBody, RuntimeSetupReason, RuntimeStatus } from '../../../src-shared/runtime.js';
import type { EngineEvents } from '../events/engine-events.js';
import type { ResourcePaths } from '../resources.js';
import { checkRuntime, inspectRuntime, type RuntimeReport } from './python-env.js';
import { setupRuntime } from './runtime-setup.js';

/** Log lines kept in memory. */
export const LOG_TAIL_LINES = 200;
/** Log lines `GET /api/runtime` and the diagnostics carry. */
export const REPORTED_LOG_LINES = 60;

export interface RuntimeSupervisorOptions {
  runtimeDir: string;
  resources: ResourcePaths;
  events: EngineEvents;
  /** Every line is appended here too (the "Show logs" folder). */
  logFile: string;
  env: NodeJS.ProcessEnv;
  /** Install the development tools as well (a source checkout). */
  dev: boolean;
  /** The home's user-packages.json, installed again after every setup. */
  userPackagesFile?: string;
}

/** `check`: set up what the health check finds missing, broken or outdated; `reset`: rebuild from scratch. */
export type PrepareMode = 'check' | 'reset';

export class RuntimeSupervisor {
  private current: RuntimeStatus;
  private readonly tail: string[] = [];
  private doctor: RuntimeReport | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly options: RuntimeSupervisorOptions) {
    this.current = { phase: 'checking', reason: null, step: 'checking the runtime', problems: [], error: null, runtimeDir: options.runtimeDir };
    mkdirSync(dirname(options.logFile), { recursive: true });
  }

  get status(): RuntimeStatus {
    return this.current;
  }

  get ready(): boolean {
    return this.current.phase === 'ready';
  }

  /** True while a check, setup or worker start is under way (a reset must wait). */
  get busy(): boolean {
    return this.current.phase === 'checking' || this.current.phase === 'setting-up' || this.current.phase === 'starting';
  }

  /**
   * Checks the runtime and sets it up when it is missing, broken or outdated; `reset` rebuilds it
   * whatever the check says. Resolves true when workers can be started, false when setup
   * failed (the status then says why).
   */
  async prepare(mode: PrepareMode): Promise<boolean> {
    this.doctor = null;
    let reason: RuntimeSetupReason | null = mode === 'reset' ? 'reset' : null;
    let problems: string[] = [];
    if (mode === 'check') {
      this.update({ phase: 'checking', reason: null, step: 'checking the runtime', problems: [], error: null });
      const health = await checkRuntime(this.options.runtimeDir, this.options.resources);
      problems = health.problems;
      reason = { ok: null, missing: 'first-run', broken: 'repair', outdated: 'update' }[health.state] as RuntimeSetupReason | null;
      for (const problem of problems) this.line(`health check: ${problem}`);
    }
    if (reason !== null) {
      this.update({ phase: 'setting-up', reason, step: 'starting setup', problems, error: null });
      try {
        await setupRuntime(this.options.runtimeDir, this.options.resources, {
          dev: this.options.dev,
          reset: mode === 'reset',
          // A broken runtime may still carry a valid stamp (a package removed by hand): pip runs anyway.
          force: reason === 'repair',
          env: this.options.env,
          onProgress: (line) => this.line(line),
          onStep: (step) => this.update({ step }),
          signal: this.stopping.signal,
          userPackagesFile: this.options.userPackagesFile,
        });
      } catch (error) {
        await this.markFailed(error);
        return false;
      }
    }
    this.update({ phase: 'starting', step: 'starting the Python workers' });
    return true;
  }

  /** Marks a reset as begun before the workers stop, so a second reset meanwhile is refused. */
  beginReset(): void {
    this.update({ phase: 'setting-up', reason: 'reset', step: 'stopping the workers', problems: [], error: null });
  }

  /** Stops a setup in progress for good (the engine is closing). */
  stop(): void {
    this.stopping.abort();
  }

  markReady(): void {
    this.update({ phase: 'ready', step: 'ready', error: null });
  }

  /** Records a failure with the doctor's findings, for the window's failure view. */
  async markFailed(error: unknown): Promise<void> {
    const data = errorData(error);
    this.line(`failed: ${data.message}`);
    this.doctor = await inspectRuntime(this.options.runtimeDir, this.options.resources, this.options.userPackagesFile).catch(() => null);
    this.update({ phase: 'failed', step: 'failed', error: data });
  }

  /** The last lines of the log. */
  log(count = REPORTED_LOG_LINES): string[] {
    return this.tail.slice(-count);
  }

  report(): RuntimeReportBody {
    return { ...this.current, log: this.log(), diagnostics: this.diagnostics() };
  }

  /** Plain text for a bug report. */
  diagnostics(): string {
    const { phase, reason, step, problems, error, runtimeDir } = this.current;
    const doctor = this.doctor;
    return [
      'UDF Studio runtime diagnostics',
      `platform:  ${process.platform}-${process.arch}, node ${process.version}`,
      `runtime:   ${runtimeDir}`,
      `resources: ${this.options.resources.root}`,
      `log file:  ${this.options.logFile}`,
      `phase:     ${phase}${reason ? ` (${reason})` : ''}, ${step}`,
      ...(error ? [`error:     ${error.code}: ${error.message}`] : []),
      ...problems.map((problem) => `found:     ${problem}`),
      ...(doctor ? [
        `python:    ${doctor.pythonVersion ?? 'does not run'} (${doctor.python})`,
        `fused:     ${doctor.fusedVersion ?? 'not importable'}`,
        ...doctor.problems.map((problem) => `doctor:    ${problem}`),
      ] : []),
      '',
      `last ${REPORTED_LOG_LINES} log lines:`,
      ...this.log(),
    ].join('\n');
  }

  /** A line on the runtime's log and event stream outside setup (a package install). */
  note(text: string): void {
    this.line(text);
  }

  private line(text: string): void {
    this.tail.push(text);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.splice(0, this.tail.length - LOG_TAIL_LINES);
    try {
      appendFileSync(this.options.logFile, `${new Date().toISOString()} ${text}\n`);
    } catch {
      // The log file is a convenience; the window still gets every line.
    }
    this.options.events.emit({ type: 'runtime', status: this.current, line: text });
  }

  private update(changes: Partial<RuntimeStatus>): void {
    this.current = { ...this.current, ...changes };
    this.options.events.emit({ type: 'runtime', status: this.current, line: null });
  }
}

function errorData(error: unknown): ErrorData {
  if (error instanceof UdfStudioError) return error.data;
  return { code: 'UDF_ERR_RUNTIME_MISSING', message: error instanceof Error ? error.message : String(error) };
}
