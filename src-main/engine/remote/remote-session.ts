/**
 * What a remote says about itself before a run, asked the way the official client asks it and
 * kept for a while, per remote URL and token:
 *
 * - the realtime instance that runs code (`GET /server/v1/realtime-instance/available`; the one
 *   with the highest `preference_rank`), whose `client_id` goes in the code-run path;
 * - the account (`GET /server/v1/user/self`), whose email names the owner of a bare saved UDF name
 *   and goes with every code run as `Fused-Share-User-Email`.
 *
 * A failed question is not kept: the next run asks again.
 */

import { udfError } from '../../../src-shared/errors.js';
import { parseJson, type RemoteClient } from './remote-client.js';

/** The official client keeps these for its process's life; a long-running engine asks again now and then. */
const SESSION_TTL_MS = 10 * 60_000;
const INSTANCES_PATH = '/server/v1/realtime-instance/available';
const ACCOUNT_PATH = '/server/v1/user/self';

/** The remote's account, as `/user/self` answers it. */
export interface RemoteAccount {
  email: string;
  /** The team a hosted account belongs to; sent with code runs when the remote names one. */
  executionEnvironmentId: string | null;
}

interface Kept<T> {
  at: number;
  value: Promise<T>;
}

const clientIds = new Map<string, Kept<string>>();
const accounts = new Map<string, Kept<RemoteAccount>>();

/** The `client_id` of the remote's preferred realtime instance. */
export function remoteClientId(client: RemoteClient): Promise<string> {
  return kept(clientIds, client, async () => {
    const answer = await client.send({ method: 'GET', path: INSTANCES_PATH });
    return preferredClientId(client, parseJson(answer.body));
  });
}

/** The account the remote's token belongs to. */
export function remoteAccount(client: RemoteClient): Promise<RemoteAccount> {
  return kept(accounts, client, async () => {
    const value = await client.json({ method: 'GET', path: ACCOUNT_PATH });
    if (typeof value.email !== 'string' || !value.email) {
      throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" answered GET ${ACCOUNT_PATH} without the account's "email"`);
    }
    const team = value.execution_environment_id;
    return { email: value.email, executionEnvironmentId: typeof team === 'string' && team ? team : null };
  });
}

/** The headers that tell a code run whose it is, as the official client sends them. */
export function accountHeaders(account: RemoteAccount): Record<string, string> {
  return {
    'fused-share-user-email': account.email,
    ...(account.executionEnvironmentId ? { 'fused-share-execution-environment-id': account.executionEnvironmentId } : {}),
  };
}

function kept<T>(store: Map<string, Kept<T>>, client: RemoteClient, ask: () => Promise<T>): Promise<T> {
  const key = `${client.remote.url}\n${client.remote.token}`;
  const now = Date.now();
  const known = store.get(key);
  if (known && now - known.at < SESSION_TTL_MS) return known.value;
  const value = ask();
  store.set(key, { at: now, value });
  value.catch(() => {
    if (store.get(key)?.value === value) store.delete(key);
  });
  return value;
}

function preferredClientId(client: RemoteClient, value: unknown): string {
  if (!Array.isArray(value)) throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" answered GET ${INSTANCES_PATH} with something that is not a JSON list`);
  let best: { id: string; rank: number } | null = null;
  for (const entry of value) {
    const instance = entry as { client_id?: unknown; preference_rank?: unknown } | null;
    if (typeof instance?.client_id !== 'string' || !instance.client_id) continue;
    const rank = typeof instance.preference_rank === 'number' ? instance.preference_rank : 0;
    if (!best || rank > best.rank) best = { id: instance.client_id, rank };
  }
  if (!best) throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" lists no realtime instance to run code on (GET ${INSTANCES_PATH})`);
  return best.id;
}
