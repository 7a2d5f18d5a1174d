/**
 * The window's shared state: the library, the event stream's status, job progress and run logs.
 * Components read it; only the functions here change it.
 */

import type { AppEvent, LibraryListing, StorageProblemData } from '../../../src-shared/app-api.js';
import type { JobSummary } from '../../../src-shared/jobs.js';
import { PACKAGE_NOTE } from '../../../src-shared/runtime.js';
import { ApiError, api } from '../api/client.js';
import { connectEvents } from '../api/events.js';

/** Run logs kept for the log panel. */
const LOG_LIMIT = 200;

export type RunLogEntry = Extract<AppEvent, { type: 'run' }> & { at: Date };
export type WorkspaceChange = Extract<AppEvent, { type: 'workspace' }>['changed'];

export const app = $state({
  library: null as LibraryListing | null,
  libraryError: null as string | null,
  /** False when the engine refused the session: the window must be opened through a new link. */
  authorised: true,
  connected: false,
  jobs: [] as JobSummary[],
  logs: [] as RunLogEntry[],
  notice: null as { text: string; error: boolean } | null,
  /** Why the result cache is not storing results (disk full...); runs still answer, uncached. */
  storageProblem: null as StorageProblemData | null,
});

const workspaceListeners = new Set<(changed: WorkspaceChange) => void>();
const eventListeners = new Set<(event: AppEvent) => void>();

/** Calls `listener` with the UDFs each settled workspace change touched; returns an unsubscribe. */
export function onWorkspaceChange(listener: (changed: WorkspaceChange) => void): () => void {
  workspaceListeners.add(listener);
  return () => workspaceListeners.delete(listener);
}

/** Calls `listener` with every event of the stream (after the library's own handling); returns an unsubscribe. */
export function onAppEvent(listener: (event: AppEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

export async function loadLibrary(): Promise<void> {
  try {
    app.library = await api.library();
    app.libraryError = null;
    app.authorised = true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) app.authorised = false;
    else app.libraryError = (error as Error).message;
  }
}

export async function loadJobs(): Promise<void> {
  try {
    const listed = (await api.jobs()).jobs;
    // A job event that arrived while the list was on its way is newer than the list's copy.
    app.jobs = listed.map((job) => {
      const known = app.jobs.find((other) => other.id === job.id);
      return known && jobStage(known) > jobStage(job) ? known : job;
    });
  } catch {
    // An engine without jobs leaves the list empty; the Jobs view says so.
  }
}

/** Grows as a job moves on: runs that ended, then the job's own end. */
function jobStage(job: JobSummary): number {
  return 2 * (job.counts.succeeded + job.counts.failed + job.counts.cancelled) + (job.finishedAt ? 1 : 0);
}

/** Shows a short message at the bottom of the window. */
export function notify(text: string, error = false): void {
  app.notice = { text, error };
  const shown = app.notice;
  setTimeout(() => {
    if (app.notice === shown) app.notice = null;
  }, error ? 8_000 : 3_500);
}

/** How long to wait before opening a stream the browser gave up on. */
const REOPEN_MS = 2_000;

/** Starts the event stream; the library reloads on workspace changes, jobs update in place. */
export function startEvents(): () => void {
  let stopped = false;
  let everConnected = false;
  let close = (): void => {};
  const open = (): void => {
    close = connectEvents(handle, (connected, closed) => {
      const reconnected = connected && !app.connected && everConnected;
      everConnected ||= connected;
      app.connected = connected;
      // Whatever happened while the stream was down is picked up by reloading once.
      if (reconnected) {
        void loadLibrary();
        void loadJobs();
      }
      if (closed) {
        // The engine refused the stream: a lost session shows the sign-in page; otherwise retry.
        setTimeout(() => {
          if (stopped) return;
          void loadLibrary().then(() => {
            if (!stopped && app.authorised) open();
          });
        }, REOPEN_MS);
      }
    });
  };
  open();
  return () => {
    stopped = true;
    close();
  };
}

function handle(event: AppEvent): void {
  if (event.type === 'workspace') {
    for (const listener of workspaceListeners) listener(event.changed);
    void loadLibrary();
  } else if (event.type === 'job') {
    const index = app.jobs.findIndex((job) => job.id === event.job.id);
    if (index >= 0) app.jobs[index] = event.job;
    else app.jobs.unshift(event.job);
  } else if (event.type === 'runtime' && event.status.phase !== 'ready') {
    // The runtime is being reset or repaired: its page shows the progress and comes back when ready.
    location.assign('/runtime');
  } else if (event.type === 'runtime' && event.line?.startsWith(PACKAGE_NOTE)) {
    // A package being installed while the runtime runs (the Install button, auto-install).
    const text = event.line.slice(PACKAGE_NOTE.length);
    notify(text.charAt(0).toUpperCase() + text.slice(1), text.includes('could not'));
  } else if (event.type === 'storage') {
    app.storageProblem = event.problem;
  } else if (event.type === 'run') {
    app.logs.unshift({ ...event, at: new Date() });
    if (app.logs.length > LOG_LIMIT) app.logs.length = LOG_LIMIT;
  }
  for (const listener of eventListeners) listener(event);
}
