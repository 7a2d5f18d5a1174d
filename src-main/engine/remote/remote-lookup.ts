/**
 * Saved UDFs on a remote, found the way the official client finds them:
 *
 * - `Name`: the account's email (`GET /server/v1/user/self`), then
 *   `/udf/by-user-email/{email}/by-collection/default/by-slug/{Name}` (`fused.load("Name")`);
 * - `team/Name`: `/udf/exec-env/self/by-collection/default/by-slug/{Name}`;
 * - `email/Name` and `handle/Name`: `/udf/by-user-email/...` and `/udf/by-user-handle/...`;
 * - all of them: `/udf/self`, a page at a time (`fused.api.get_udfs()`); one by id: `/udf/by-id/{id}`.
 *
 * Records are checked into {@link RemoteRecord}s; Fused's have no `content_hash`, so it is
 * computed from the body when absent.
 */

import { udfError } from '../../../src-shared/errors.js';
import { answerError, parseJson, type RemoteClient } from './remote-client.js';
import { remoteAccount } from './remote-session.js';
import { contentHash, parseUdfBody, type UdfBody } from './udf-body.js';

export const STORAGE = '/server/v1/udf';
/** The collection the official client names when none is given. */
export const DEFAULT_COLLECTION = 'default';
/** The official client's page size for listings. */
const PAGE_SIZE = 300;

/** The remote's summary of one UDF. */
export interface RemoteSummary {
  id: string;
  slug: string;
  contentHash: string;
}

export interface RemoteRecord extends RemoteSummary {
  body: UdfBody;
}

/** The path that looks up a saved UDF by name: `Name`, `team/Name`, `email/Name` or `handle/Name`. */
export async function lookupPath(client: RemoteClient, name: string): Promise<string> {
  const slash = name.indexOf('/');
  const owner = slash === -1 ? null : name.slice(0, slash);
  const byName = `by-collection/${DEFAULT_COLLECTION}/by-slug/${segment(slash === -1 ? name : name.slice(slash + 1))}`;
  if (owner === null) return `${STORAGE}/by-user-email/${segment((await remoteAccount(client)).email)}/${byName}`;
  if (owner === 'team') return `${STORAGE}/exec-env/self/${byName}`;
  if (owner.includes('@')) return `${STORAGE}/by-user-email/${segment(owner)}/${byName}`;
  return `${STORAGE}/by-user-handle/${segment(owner)}/${byName}`;
}

/** The record of a saved UDF as the remote sent it, or null when it has none by that name. */
export async function lookupRaw(client: RemoteClient, name: string): Promise<Record<string, unknown> | null> {
  return fetchRaw(client, await lookupPath(client, name));
}

/** The checked record of a saved UDF, or null when the remote has none by that name. */
export async function findSaved(client: RemoteClient, name: string): Promise<RemoteRecord | null> {
  const raw = await lookupRaw(client, name);
  return raw === null ? null : parseRecord(client, raw);
}

/** The checked record of the UDF with this id, or null when the remote has none. */
export async function findById(client: RemoteClient, id: string): Promise<RemoteRecord | null> {
  const raw = await fetchRaw(client, `${STORAGE}/by-id/${segment(id)}`);
  return raw === null ? null : parseRecord(client, raw);
}

/** Every UDF of the remote's account, a page at a time. */
export async function listRemote(client: RemoteClient): Promise<RemoteSummary[]> {
  const summaries: RemoteSummary[] = [];
  for (let skip = 0; ; skip += PAGE_SIZE) {
    const answer = await client.send({ method: 'GET', path: `${STORAGE}/self?skip=${skip}&limit=${PAGE_SIZE}` });
    const page = parseJson(answer.body);
    if (!Array.isArray(page)) throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" answered the UDF list with something that is not a JSON list`);
    for (const entry of page) summaries.push(parseSummary(client, entry));
    if (page.length < PAGE_SIZE) return summaries;
  }
}

/** A full record; `content_hash` may be absent (Fused's API has none) and is then computed. */
export function parseRecord(client: RemoteClient, value: unknown): RemoteRecord {
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const body = parseUdfBody(fields.udf_body, 'UDF_ERR_REMOTE_BAD_ANSWER');
  const computed = contentHash(body);
  const summary = checkedSummary(client, { ...fields, content_hash: fields.content_hash ?? computed });
  if (computed !== summary.contentHash) throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" sent "${summary.slug}" with a content hash that does not match its body`);
  return { ...summary, body };
}

/** A listing's entry: its `content_hash`, or the hash of its body when the remote sends none. */
function parseSummary(client: RemoteClient, value: unknown): RemoteSummary {
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (fields.content_hash === undefined && fields.udf_body !== undefined) {
    const { id, slug, contentHash: hash } = parseRecord(client, fields);
    return { id, slug, contentHash: hash };
  }
  return checkedSummary(client, fields);
}

function checkedSummary(client: RemoteClient, record: Record<string, unknown>): RemoteSummary {
  if (typeof record.id !== 'string' || !record.id || typeof record.slug !== 'string' || typeof record.content_hash !== 'string') {
    throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" sent a UDF record without "id", "slug" and "content_hash"`);
  }
  return { id: record.id, slug: record.slug, contentHash: record.content_hash };
}

/** A JSON object at `path`, or null for a 404; other failures throw the remote's error. */
async function fetchRaw(client: RemoteClient, path: string): Promise<Record<string, unknown> | null> {
  const answer = await client.request({ method: 'GET', path });
  if (answer.status === 404) return null;
  if (answer.status < 200 || answer.status >= 300) throw answerError(client.remote, answer);
  const value = parseJson(answer.body);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" answered GET ${path} with something that is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A path segment as the official client writes it: escaped, but an email's `@` kept. */
function segment(text: string): string {
  return encodeURIComponent(text).replace(/%40/g, '@');
}
