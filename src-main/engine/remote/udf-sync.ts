/**
 * Push and pull of UDFs between the local workspace and a remote's storage API, with a sync record
 * per UDF and remote (the content hash each side had at the last sync), so a change on one side
 * is carried over and a change on both sides is a conflict, reported and never overwritten.
 *
 * Both sides keep the UDF's id: a push creates the remote copy with the local id, a pull writes
 * the remote id as the folder's `fused:id`.
 *
 * Push and pull send what the official client sends for the same step: a pull finds the UDF as
 * `fused.load("Name")` does, a push as `udf.to_fused()` does (the lookup by name, the default
 * collection's id, then `POST /udf/new` or `/udf/by-id/{id}` with its `SaveUdfRequest` fields).
 * Two fields are ours: `id` on create (to keep the local id) and `base_hash` on update (so a
 * UDF Studio remote refuses an update over changes it has since); a server that does not read
 * them is not affected by them.
 */

import { basename, dirname } from 'node:path';
import type { SyncState, UdfSyncStatus as SyncStatus } from '../../../src-shared/app-api.js';
import { udfError } from '../../../src-shared/errors.js';
import type { Db } from '../store/database.js';
import { asObject, type UdfFolder } from '../workspace/udf-folder.js';
import type { UdfIds } from '../workspace/udf-ids.js';
import type { Workspace } from '../workspace/workspace.js';
import { answerError, parseJson, type RemoteClient } from './remote-client.js';
import { DEFAULT_COLLECTION, findById, findSaved, listRemote, parseRecord, STORAGE, type RemoteRecord } from './remote-lookup.js';
import { contentHash, udfBodyOf, writeUdfFolder, type UdfBody } from './udf-body.js';

export interface SyncOptions {
  /** Take this side's copy even over changes on the other side (the way out of a conflict). */
  force?: boolean;
}

export interface SyncResult {
  name: string;
  id: string;
  /** What happened: `created`/`updated` on the remote (push), `created`/`updated` locally (pull), or nothing. */
  action: 'created' | 'updated' | 'unchanged';
  dir?: string;
}

interface SyncRecord {
  local_hash: string;
  remote_hash: string;
  synced_at: string;
}

export class UdfSync {
  constructor(private readonly db: Db, private readonly ids: UdfIds, private readonly workspace: Workspace, private readonly pullFolder: string) {}

  /** Every local and remote UDF and where it stands. */
  async status(client: RemoteClient): Promise<SyncStatus[]> {
    const remote = await listRemote(client);
    const locals = this.localUdfs();
    const rows: SyncStatus[] = [];
    const seen = new Set<string>();
    for (const { id, udf } of locals) {
      const other = remote.find((entry) => entry.id === id) ?? remote.find((entry) => entry.slug === udf.name && !locals.some((l) => l.id === entry.id));
      if (other) seen.add(other.id);
      const localHash = contentHash(udfBodyOf(udf));
      const record = this.record(client, id);
      rows.push({ name: udf.name, id, localHash, remoteHash: other?.contentHash ?? null, syncedAt: record?.synced_at ?? null, state: classify(localHash, other?.contentHash ?? null, record) });
    }
    for (const entry of remote) {
      if (seen.has(entry.id)) continue;
      rows.push({ name: entry.slug, id: entry.id, localHash: null, remoteHash: entry.contentHash, syncedAt: null, state: 'remote-only' });
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Saves a local UDF to the remote: created with its id, or updated when only the local side changed. */
  async push(client: RemoteClient, name: string, options: SyncOptions = {}): Promise<SyncResult> {
    // Read the disk, not a watcher's snapshot: an edit saved a moment ago must be what is pushed.
    this.workspace.refresh();
    const udf = this.workspace.resolveName(name);
    const id = this.ids.idFor(udf);
    const body = udfBodyOf(udf);
    const localHash = contentHash(body);
    const remote = await findSaved(client, udf.name);
    if (remote && remote.id !== id && remote.contentHash !== localHash && !options.force) {
      throw conflict(`remote "${client.name}" has a different UDF named "${udf.name}" (id ${remote.id}, here ${id}); rename one of them`);
    }
    const record = this.record(client, id);
    if (remote && remote.contentHash === localHash) {
      this.save(client, remote.id === id ? id : remote.id, udf.name, localHash, localHash);
      return { name: udf.name, id, action: 'unchanged' };
    }
    if (!remote) {
      const fields = { ...saveFields(udf.name, body), collection_id: await collectionId(client), id };
      const created = parseRecord(client, await client.json({ method: 'POST', path: `${STORAGE}/new`, body: fields }));
      this.save(client, id, udf.name, localHash, created.contentHash);
      return { name: udf.name, id, action: 'created' };
    }
    const state = options.force ? 'local-changes' : classify(localHash, remote.contentHash, record);
    if (state === 'remote-changes') throw conflict(`"${udf.name}" changed on remote "${client.name}" since the last sync and not here; pull it first (udf-studio pull ${udf.name} --remote ${client.name})`);
    if (state !== 'local-changes') throw conflict(conflictText(udf.name, client.name, record));
    // The official client asks for the collection here too, and keeps the UDF in its own on update.
    await collectionId(client);
    const fields = { ...saveFields(udf.name, body), collection_id: null, base_hash: remote.contentHash };
    const updated = parseRecord(client, await client.json({ method: 'POST', path: `${STORAGE}/by-id/${encodeURIComponent(remote.id)}`, body: fields }));
    this.save(client, id, udf.name, localHash, updated.contentHash);
    return { name: udf.name, id, action: 'updated' };
  }

  /** Brings a remote UDF into the workspace: a new folder, or the local one when only the remote side changed. */
  async pull(client: RemoteClient, name: string, options: SyncOptions = {}): Promise<SyncResult> {
    const remote = await findSaved(client, name);
    if (!remote) throw udfError('UDF_ERR_NOT_FOUND', `remote "${client.name}" has no UDF named "${name}"`);
    return this.pullRecord(client, remote, options);
  }

  /**
   * Pulls every remote UDF. Conflicts do not stop the others: each UDF's result or error is
   * returned, and nothing of a conflicting UDF is written.
   */
  async pullAll(client: RemoteClient): Promise<Array<SyncResult | { name: string; error: Error }>> {
    const results: Array<SyncResult | { name: string; error: Error }> = [];
    for (const summary of await listRemote(client)) {
      try {
        const remote = await findById(client, summary.id);
        if (remote) results.push(this.pullRecord(client, remote));
      } catch (error) {
        if ((error as { code?: string }).code?.startsWith('UDF_ERR_REMOTE_')) throw error;
        results.push({ name: summary.slug, error: error as Error });
      }
    }
    return results;
  }

  private pullRecord(client: RemoteClient, remote: RemoteRecord, options: SyncOptions = {}): SyncResult {
    const locals = this.localUdfs();
    const local = locals.find((entry) => entry.id === remote.id) ?? locals.find((entry) => entry.udf.name === remote.slug) ?? null;
    if (!local) {
      const dir = writeUdfFolder(this.pullFolder, remote.slug, { ...remote.body, name: remote.slug }, remote.id);
      this.workspace.refresh();
      this.save(client, remote.id, remote.slug, remote.contentHash, remote.contentHash);
      return { name: remote.slug, id: remote.id, action: 'created', dir };
    }
    const localHash = contentHash(udfBodyOf(local.udf));
    if (local.id !== remote.id && localHash !== remote.contentHash && !options.force) {
      throw conflict(`a different UDF named "${remote.slug}" is already here (id ${local.id}, remote ${remote.id}); rename one of them`);
    }
    const record = this.record(client, remote.id);
    if (localHash === remote.contentHash) {
      this.save(client, remote.id, local.udf.name, localHash, localHash);
      return { name: local.udf.name, id: remote.id, action: 'unchanged', dir: local.udf.dir };
    }
    const state = options.force ? 'remote-changes' : classify(localHash, remote.contentHash, record);
    if (state === 'local-changes') throw conflict(`"${local.udf.name}" changed here since the last sync and not on remote "${client.name}"; push it first (udf-studio push ${local.udf.name} --remote ${client.name})`);
    if (state !== 'remote-changes') throw conflict(conflictText(local.udf.name, client.name, record));
    const dir = writeUdfFolder(dirname(local.udf.dir), basename(local.udf.dir), { ...remote.body, name: local.udf.name }, remote.id, local.udf);
    this.workspace.refresh();
    const written = this.localUdfs().find((entry) => entry.udf.dir === dir);
    this.save(client, remote.id, local.udf.name, written ? contentHash(udfBodyOf(written.udf)) : remote.contentHash, remote.contentHash);
    return { name: local.udf.name, id: remote.id, action: 'updated', dir };
  }

  private localUdfs(): Array<{ id: string; udf: UdfFolder }> {
    return this.workspace.refresh().flatMap((entry) => (entry.kind === 'udf' ? [{ id: this.ids.idFor(entry), udf: entry }] : []));
  }

  private record(client: RemoteClient, id: string): SyncRecord | null {
    return (this.db.prepare('SELECT local_hash, remote_hash, synced_at FROM sync_state WHERE remote = ? AND udf_id = ?').get(client.remote.url, id) as SyncRecord | undefined) ?? null;
  }

  private save(client: RemoteClient, id: string, name: string, localHash: string, remoteHash: string): void {
    this.db.prepare(`INSERT INTO sync_state (remote, udf_id, name, local_hash, remote_hash, synced_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (remote, udf_id) DO UPDATE SET name = excluded.name, local_hash = excluded.local_hash, remote_hash = excluded.remote_hash, synced_at = excluded.synced_at`)
      .run(client.remote.url, id, name, localHash, remoteHash, new Date().toISOString());
  }
}

/** Where a UDF stands from the two hashes and the last sync's record. */
export function classify(localHash: string | null, remoteHash: string | null, record: { local_hash: string; remote_hash: string } | null): SyncState {
  if (localHash === null) return 'remote-only';
  if (remoteHash === null) return 'local-only';
  if (localHash === remoteHash) return 'synced';
  if (!record) return 'conflict';
  const localChanged = localHash !== record.local_hash;
  const remoteChanged = remoteHash !== record.remote_hash;
  if (localChanged && !remoteChanged) return 'local-changes';
  if (remoteChanged && !localChanged) return 'remote-changes';
  return 'conflict';
}

function conflictText(name: string, remote: string, record: SyncRecord | null): string {
  return record
    ? `"${name}" changed both here and on remote "${remote}" since the last sync (${record.synced_at}); nothing was overwritten. Keep one side with --force: "push ${name} --force" keeps yours, "pull ${name} --force" keeps the remote's`
    : `"${name}" exists here and on remote "${remote}" with different content and was never synced; nothing was overwritten. Keep one side with --force ("push ${name} --force" or "pull ${name} --force"), or rename one`;
}

function conflict(message: string): Error {
  return udfError('UDF_ERR_SYNC_CONFLICT', message);
}

/** The official client's `SaveUdfRequest` fields (but the collection) for a UDF's body. */
function saveFields(slug: string, body: UdfBody): Record<string, unknown> {
  return {
    slug,
    udf_body: JSON.stringify(body),
    udf_type: body.metadata['fused:udfType'] === 'app' ? 'app' : 'auto',
    allow_public_read: false,
    allow_public_list: false,
  };
}

/** The default collection's id, as `to_fused()` asks for it; null when the remote has none (it then uses its own default). */
async function collectionId(client: RemoteClient): Promise<string | null> {
  const answer = await client.request({ method: 'GET', path: `/server/v1/collection/by-name/${DEFAULT_COLLECTION}` });
  if (answer.status === 404) return null;
  if (answer.status < 200 || answer.status >= 300) throw answerError(client.remote, answer);
  const id = asObject(parseJson(answer.body))?.id;
  return typeof id === 'string' ? id : null;
}
