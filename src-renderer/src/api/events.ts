/**
 * The engine's event stream (server-sent events): workspace changes, job progress, run logs.
 * The browser reconnects by itself; listeners hear whether the stream is up.
 */

import type { AppEvent } from '../../../src-shared/app-api.js';
import { eventStreamUrl } from './session-key.js';

export type EventListener = (event: AppEvent) => void;

/**
 * Opens the stream. `onStatus` hears `connected`, and `closed` when the browser gave up (the engine
 * answered with an error, e.g. a session it no longer knows after a restart).
 */
export function connectEvents(onEvent: EventListener, onStatus: (connected: boolean, closed: boolean) => void): () => void {
  const source = new EventSource(eventStreamUrl('/api/events'));
  source.onopen = () => onStatus(true, false);
  source.onerror = () => onStatus(false, source.readyState === EventSource.CLOSED);
  source.onmessage = (message: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(message.data) as AppEvent);
    } catch {
      // A line that is not JSON is not an event of ours.
    }
  };
  return () => source.close();
}
