/**
 * Runs in progress by cache key, shared by identical concurrent requests.
 *
 * Each request joins a run with its own cancel signal (its HTTP client going away). A request that
 * is cancelled leaves at once with a cancelled outcome; the run itself stops only when every
 * request that joined it has left, so a map client panning away cancels its tiles while another
 * client showing the same tile still gets it. A request without a signal keeps the run to its end.
 */

import type { RunOutcome } from '../../src-shared/udf.js';

interface Flight {
  readonly outcome: Promise<RunOutcome>;
  readonly controller: AbortController;
  /** Requests that joined with a signal and have not been cancelled. */
  holders: number;
  /** A request without a signal joined: the run goes on whoever leaves. */
  pinned: boolean;
}

export class SharedRuns {
  private readonly flights = new Map<string, Flight>();

  /** The run for `key`: the one in progress, or a new one made by `start` with the signal that stops it. */
  join(key: string, start: (signal: AbortSignal) => Promise<RunOutcome>, signal?: AbortSignal): Promise<RunOutcome> {
    if (signal?.aborted) return Promise.resolve(cancelled(0));
    const flight = this.flights.get(key) ?? this.begin(key, start);
    if (!signal) {
      flight.pinned = true;
      return flight.outcome;
    }
    flight.holders += 1;
    const joined = performance.now();
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        flight.holders -= 1;
        if (flight.holders === 0 && !flight.pinned) {
          // Nobody waits for it any more: a later request starts afresh rather than join a cancelled run.
          if (this.flights.get(key) === flight) this.flights.delete(key);
          flight.controller.abort();
        }
        resolve(cancelled(performance.now() - joined));
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.outcome.then(
        (outcome) => {
          signal.removeEventListener('abort', leave);
          resolve(outcome);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private begin(key: string, start: (signal: AbortSignal) => Promise<RunOutcome>): Flight {
    const controller = new AbortController();
    const flight: Flight = { outcome: start(controller.signal), controller, holders: 0, pinned: false };
    this.flights.set(key, flight);
    const forget = (): void => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    flight.outcome.then(forget, forget);
    return flight;
  }
}

function cancelled(durationMs: number): RunOutcome {
  return { ok: false, stdout: '', stderr: '', durationMs, error: { code: 'UDF_ERR_CANCELLED', message: 'the run was cancelled: its client went away' } };
}
