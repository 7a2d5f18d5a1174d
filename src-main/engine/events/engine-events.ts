/**
 * The engine's event bus: what changed (workspace, jobs, runtime), for the window's event stream
 * and the CLI's progress bars. Listeners are called synchronously and must not throw.
 */

import type { AppEvent } from '../../../src-shared/app-api.js';
import type { JobSummary } from '../../../src-shared/jobs.js';
import type { RuntimeStatus } from '../../../src-shared/runtime.js';

/** Job progress, the runtime's setup, remote changes, settled workspace changes (UDFs by name with
 * their new code key) and window runs. */
export type EngineEvent =
  | { type: 'job'; job: JobSummary }
  /** The runtime's phase or step changed (`line` null), or setup printed `line`. */
  | { type: 'runtime'; status: RuntimeStatus; line: string | null }
  | Extract<AppEvent, { type: 'remote' }>
  | Extract<AppEvent, { type: 'workspace' }>
  | Extract<AppEvent, { type: 'run' }>
  | Extract<AppEvent, { type: 'storage' }>;

export type EngineEventListener = (event: EngineEvent) => void;

export class EngineEvents {
  private readonly listeners = new Set<EngineEventListener>();

  /** Calls `listener` for every event from now on; returns a function that stops it. */
  subscribe(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
