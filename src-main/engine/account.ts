/**
 * The local account: who `fused.api.whoami()` says you are, whose UDFs `email/Name` and
 * `handle/Name` name, and the realtime instance the official client discovers.
 *
 * There is one user, the person at this machine. Their email and handle come from the settings
 * (`email`, `handle`), else from the system user name, so name lookups work with no setup.
 */

import { userInfo } from 'node:os';
import type { StoredSettings } from './settings.js';

/** The one realtime instance: its id goes in `/realtime/{client_id}/...` URLs (any id is accepted). */
export const LOCAL_CLIENT_ID = 'udf-studio-local';

export interface LocalAccount {
  id: string;
  email: string;
  handle: string;
  name: string;
}

/** The account the settings describe, with defaults from the system user. */
export function localAccount(settings: Pick<StoredSettings, 'email' | 'handle'>): LocalAccount {
  const handle = settings.handle ?? systemHandle();
  const email = settings.email ?? `${handle}@localhost`;
  return { id: `local-${handle}`, email, handle, name: handle };
}

/** Whether a lookup's owner (an email, a handle, or `team`) names the local account. */
export function isLocalOwner(account: LocalAccount, owner: string): boolean {
  const lower = owner.toLowerCase();
  return lower === 'team' || lower === account.email.toLowerCase() || lower === account.handle.toLowerCase();
}

function systemHandle(): string {
  let name = '';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): the fallback below.
  }
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '').replace(/^[.-]+/, '').slice(0, 64);
  return cleaned || 'local';
}
