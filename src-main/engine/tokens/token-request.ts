/**
 * The bodies of FusedAPI's token calls, checked at the edge and turned into the store's fields:
 * `create_udf_access_token` sends `{udf_email, udf_slug, udf_id, client_id, cache, public_read,
 * access_scope, metadata_json, enabled}` and `update_udf_access_token` the settings alone. In both,
 * null means "not given" (the client sends null for every setting it leaves unchanged). Fields the
 * client does not send are ignored, as the hosted API ignores them.
 */

import { udfError } from '../../../src-shared/errors.js';
import { isLocalOwner, type LocalAccount } from '../account.js';
import type { UdfIds } from '../workspace/udf-ids.js';
import type { Workspace } from '../workspace/workspace.js';
import type { NewTokenFields, TokenUpdate } from './token-store.js';

/** Longest UDF name, id, owner or client id accepted. */
const MAX_NAME_LENGTH = 200;
const MAX_ACCESS_SCOPE_LENGTH = 64;
/** `metadata_json` is served with the token; keep it a note, not a payload. */
export const MAX_METADATA_BYTES = 64 * 1024;

/** What a token request's UDF is looked up in. */
export interface TokenTargets {
  workspace: Workspace;
  ids: UdfIds;
  account: LocalAccount;
  /** Whether the engine switch sends this UDF to a remote: such a UDF needs no local folder. */
  isRemote?: (name: string) => boolean;
}

/** Which UDF a request names: by id, else by name (and its owner, when given). */
export interface TokenTarget {
  udfId?: string | null;
  udfEmail?: string | null;
  udfSlug?: string | null;
}

/** A create body as the store's fields, its UDF looked up (404 for an unknown UDF or owner). */
export function newTokenFromBody(body: Record<string, unknown>, targets: TokenTargets): NewTokenFields {
  const target: TokenTarget = {
    udfId: optionalString(body, 'udf_id', MAX_NAME_LENGTH),
    udfEmail: optionalString(body, 'udf_email', MAX_NAME_LENGTH),
    udfSlug: optionalString(body, 'udf_slug', MAX_NAME_LENGTH),
  };
  return { ...resolveTokenTarget(targets, target), ...tokenUpdateFromBody(body) };
}

/** The settings a create or update body gives; absent and null fields are left out. */
export function tokenUpdateFromBody(body: Record<string, unknown>): TokenUpdate {
  const update: TokenUpdate = {};
  const enabled = optionalBoolean(body, 'enabled');
  const cache = optionalBoolean(body, 'cache');
  const publicRead = optionalBoolean(body, 'public_read');
  const accessScope = optionalString(body, 'access_scope', MAX_ACCESS_SCOPE_LENGTH);
  const clientId = optionalString(body, 'client_id', MAX_NAME_LENGTH);
  const metadata = metadataOf(body.metadata_json);
  if (enabled !== null) update.enabled = enabled;
  if (cache !== null) update.cache = cache;
  if (publicRead !== null) update.publicRead = publicRead;
  if (accessScope !== null) update.accessScope = accessScope;
  if (clientId !== null) update.clientId = clientId;
  if (metadata !== null) update.metadata = metadata;
  return update;
}

/**
 * The UDF a token is for, as the store keeps it: its name, its id (`fused:id`, else the one the
 * engine assigned) and its owner's email. `udf_id` wins over the rest, as in Fused's client; a
 * `udf_slug` of `owner/Name` names the owner too; `udf_email` alone is the UDF's name (the client
 * documents it so).
 */
export function resolveTokenTarget(targets: TokenTargets, target: TokenTarget): Required<Pick<NewTokenFields, 'udfSlug' | 'udfId' | 'udfEmail'>> {
  const udfEmail = targets.account.email;
  if (target.udfId) {
    const found = targets.workspace.list().find((entry) => entry.kind === 'udf' && targets.ids.idFor(entry) === target.udfId);
    if (!found) throw udfError('UDF_ERR_NOT_FOUND', `no UDF with id ${target.udfId}`);
    return { udfSlug: found.name, udfId: target.udfId, udfEmail };
  }
  let owner = target.udfSlug ? (target.udfEmail ?? null) : null;
  let name = target.udfSlug ?? target.udfEmail ?? '';
  const slash = name.indexOf('/');
  if (slash >= 0) {
    owner = name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  if (!name) throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "udf_slug" (the name of the UDF the token runs) or "udf_id"');
  if (owner !== null && !isLocalOwner(targets.account, owner)) {
    throw udfError('UDF_ERR_NOT_FOUND', `no user "${owner}" here: UDFs on this machine belong to ${targets.account.email} (handle ${targets.account.handle})`);
  }
  if (targets.isRemote?.(name)) {
    try {
      return { ...local(targets, name), udfEmail };
    } catch {
      return { udfSlug: name, udfId: null, udfEmail };
    }
  }
  return { ...local(targets, name), udfEmail };
}

function local(targets: TokenTargets, name: string): { udfSlug: string; udfId: string } {
  const udf = targets.workspace.resolveName(name);
  return { udfSlug: udf.name, udfId: targets.ids.idFor(udf) };
}

function optionalString(body: Record<string, unknown>, name: string, maxLength: number): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be a string of 1 to ${maxLength} characters, or null`);
  }
  return value;
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be true, false or null`);
  return value;
}

/** An object, or a string of JSON of one (older callers send it so). */
function metadataOf(raw: unknown): Record<string, unknown> | null {
  if (raw === undefined || raw === null) return null;
  let value: unknown = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      value = undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw udfError('UDF_ERR_BAD_REQUEST', '"metadata_json" must be a JSON object');
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES) throw udfError('UDF_ERR_BAD_REQUEST', `"metadata_json" must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
  return value as Record<string, unknown>;
}
