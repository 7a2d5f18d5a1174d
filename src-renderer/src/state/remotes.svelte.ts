/**
 * Remote engines as the window shows them: the configured remotes, which UDFs the engine switch
 * sends where, and every UDF's sync state against the remote the library shows (the selected one).
 *
 * Nothing here polls: the event stream's `remote` events (a push, a pull, the engine switch, a
 * change made on the remote), local workspace changes and reconnections trigger a reload.
 */

import type { AppEvent, RemoteSummary, SyncListing, SyncState, UdfSyncStatus } from '../../../src-shared/app-api.js';
import { api } from '../api/client.js';
import { onAppEvent } from './app.svelte.js';

/** Where the library's remote choice is kept between visits. */
const SELECTED_KEY = 'udf-studio.sync-remote';

export const remotes = $state({
  /** Null until the first answer. */
  list: null as RemoteSummary[] | null,
  listError: null as string | null,
  /** UDF name → the remote its runs go to (absent: this engine). */
  engines: {} as Record<string, string>,
  /** The remote whose sync states the library and UDF pages show. */
  selected: null as string | null,
  sync: null as SyncListing | null,
  syncError: null as string | null,
  checking: false,
});

/** A symbol, a word and a sentence for each sync state (the badge and its tooltip). */
export function describeSync(state: SyncState, remote: string): { symbol: string; word: string; text: string } {
  switch (state) {
    case 'synced': return { symbol: '✓', word: 'synced', text: `The same here and on ${remote}` };
    case 'local-changes': return { symbol: '↑', word: 'changed', text: `Changed here since the last sync: push it to ${remote}` };
    case 'remote-changes': return { symbol: '↓', word: 'changed', text: `Changed on ${remote} since the last sync: pull it` };
    case 'conflict': return { symbol: '!', word: 'conflict', text: `Changed here and on ${remote} since the last sync: choose which copy to keep` };
    case 'local-only': return { symbol: '↑', word: 'new', text: `Not on ${remote} yet: push it to create it there` };
    case 'remote-only': return { symbol: '↓', word: 'only there', text: `Only on ${remote}: pull it into your workspace` };
  }
}

/**
 * The sync state of one UDF against the selected remote, when known. Sync names a UDF by its own
 * name (meta.json's), the window by its folder's: either matches.
 */
export function syncOf(name: string, displayName: string = name): UdfSyncStatus | null {
  return remotes.sync?.udfs.find((udf) => (udf.name === displayName || udf.name === name) && udf.state !== 'remote-only') ?? null;
}

let listSequence = 0;
/** One question to the remote at a time; news arriving meanwhile asks once more afterwards. */
let asking: Promise<void> | null = null;
let askAgain = false;

/** Loads the remotes and the engine switch's choices, then the selected remote's sync states. */
export async function loadRemotes(): Promise<void> {
  const sequence = ++listSequence;
  try {
    const listing = await api.remotes();
    if (sequence !== listSequence) return;
    remotes.list = listing.remotes;
    remotes.engines = Object.fromEntries(listing.engines.map((entry) => [entry.name, entry.remote]));
    remotes.listError = null;
    const names = listing.remotes.map((remote) => remote.name);
    const kept = remotes.selected ?? localStorage.getItem(SELECTED_KEY);
    remotes.selected = kept && names.includes(kept) ? kept : (listing.remotes.find((remote) => remote.isDefault)?.name ?? null);
  } catch (error) {
    if (sequence === listSequence) remotes.listError = (error as Error).message;
    return;
  }
  await loadSync();
}

/** Shows another remote's sync states in the library. */
export function selectRemote(name: string): void {
  remotes.selected = name;
  localStorage.setItem(SELECTED_KEY, name);
  remotes.sync = null;
  void loadSync();
}

/** Asks the selected remote where every UDF stands; bursts of news make one more question, not one each. */
export function loadSync(): Promise<void> {
  if (asking) {
    askAgain = true;
    return asking;
  }
  asking = (async () => {
    do {
      askAgain = false;
      await askRemote();
    } while (askAgain);
  })().finally(() => {
    asking = null;
  });
  return asking;
}

async function askRemote(): Promise<void> {
  const remote = remotes.selected;
  if (!remote) {
    remotes.sync = null;
    remotes.syncError = null;
    return;
  }
  remotes.checking = true;
  try {
    const listing = await api.syncStatus(remote);
    // The choice changed while asking: the loop asks again for the new one.
    if (remote !== remotes.selected) return;
    remotes.sync = listing;
    remotes.syncError = null;
  } catch (error) {
    if (remote !== remotes.selected) return;
    remotes.sync = null;
    remotes.syncError = (error as Error).message;
  } finally {
    remotes.checking = false;
  }
}

/** Follows the event stream; returns a function that stops. */
export function startRemotes(): () => void {
  void loadRemotes();
  return onAppEvent(handle);
}

function handle(event: AppEvent): void {
  if (event.type === 'hello') {
    // (Re)connected: whatever happened meanwhile is picked up by asking again.
    void loadRemotes();
  } else if (event.type === 'remote') {
    if (event.change === 'added' || event.change === 'removed') {
      void loadRemotes();
    } else if (event.change === 'engine') {
      if (event.remote) remotes.engines[event.udf] = event.remote;
      else delete remotes.engines[event.udf];
    } else if (event.remote === remotes.selected) {
      void loadSync();
    }
  } else if (event.type === 'workspace' && remotes.selected) {
    // A local edit changes the local side of the comparison.
    void loadSync();
  }
}
