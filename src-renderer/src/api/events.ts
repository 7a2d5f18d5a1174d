/**
 * The engine's event stream (server-sent events): workspace changes, job progress, run logs.
 * The browser reconnects by itself; listeners hear whether the stream is up.
 */

import type { AppEvent } from '../../../src-shared/app-api.js';

export type EventListener = (event: AppEvent) => void;

export function connectEvents(onEvent: EventListener, onStatus: (connected: boolean) => void): () => void {
  const source = new EventSource('/api/events');
  source.onopen = () => onStatus(true);
  source.onerror = () => onStatus(false);
  source.onmessage = (message: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(message.data) as AppEvent);
    } catch {
      // A line that is not JSON is not an event of ours.
    }
  };
  return () => source.close();
}
