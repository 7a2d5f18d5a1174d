/**
 * The configured remote engines: a name, a base URL and a token each, in the home's
 * `remotes.json` (mode 0600, written atomically).
 *
 * Tokens never leave this module except to the HTTP client: listings show whether a token is
 * set, never its characters, and no error message quotes one.
 */

import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { RemoteSummary } from '../../../src-shared/app-api.js';
import { udfError } from '../../../src-shared/errors.js';

/** Names that work as a CLI argument and a URL segment. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
const MAX_TOKEN_LENGTH = 4_096;

/** One remote engine, with its token. */
export interface RemoteConfig {
  name: string;
  /** Base URL without a trailing slash, e.g. `https://udf.example.org` or `http://10.0.0.5:8765`. */
  url: string;
  token: string;
}

/** Reads and changes `remotes.json`. Every read goes to the disk, so CLI changes show in a running server. */
export class RemoteStore {
  constructor(private readonly path: string) {}

  list(): RemoteConfig[] {
    if (!existsSync(this.path)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw udfError('UDF_ERR_REMOTE_CONFIG', `${this.path} is not valid JSON (${(error as Error).message}); fix it or remove it and add the remotes again`, { file: this.path });
    }
    const remotes = (parsed as { remotes?: unknown } | null)?.remotes;
    if (!Array.isArray(remotes)) throw udfError('UDF_ERR_REMOTE_CONFIG', `${this.path} must hold {"remotes": [...]}`, { file: this.path });
    return remotes.map((entry, index) => {
      const remote = entry as Partial<RemoteConfig> | null;
      if (typeof remote?.name !== 'string' || typeof remote.url !== 'string' || typeof remote.token !== 'string') {
        throw udfError('UDF_ERR_REMOTE_CONFIG', `${this.path}: remotes[${index}] needs "name", "url" and "token" strings`, { file: this.path });
      }
      return { name: remote.name, url: remote.url, token: remote.token };
    });
  }

  summaries(): RemoteSummary[] {
    return this.list().map((remote, index) => ({ name: remote.name, url: remote.url, isDefault: index === 0 }));
  }

  /** The remote called `name`, or the default (the first) when no name is given. */
  get(name?: string | null): RemoteConfig {
    const remotes = this.list();
    if (name === undefined || name === null || name === '') {
      const first = remotes[0];
      if (!first) throw udfError('UDF_ERR_REMOTE_UNKNOWN', 'no remote engine is configured; add one with: udf-studio remote add NAME URL --token TOKEN');
      return first;
    }
    const found = remotes.find((remote) => remote.name === name);
    if (!found) {
      const known = remotes.map((remote) => remote.name);
      throw udfError('UDF_ERR_REMOTE_UNKNOWN', `no remote engine named "${name}"${known.length ? `; configured: ${known.join(', ')}` : '; add one with: udf-studio remote add NAME URL --token TOKEN'}`);
    }
    return found;
  }

  /** Adds a remote, checking its name, URL and token; a name already in use is an error. */
  add(name: string, url: string, token: string): RemoteConfig {
    const remote = checkRemote(name, url, token);
    const remotes = this.list();
    if (remotes.some((existing) => existing.name === name)) throw udfError('UDF_ERR_USAGE', `a remote named "${name}" already exists; remove it first`);
    this.write([...remotes, remote]);
    return remote;
  }

  /** Removes a remote; an unknown name is an error. */
  remove(name: string): void {
    const remotes = this.list();
    if (!remotes.some((remote) => remote.name === name)) this.get(name);
    this.write(remotes.filter((remote) => remote.name !== name));
  }

  private write(remotes: RemoteConfig[]): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify({ remotes }, null, 2)}\n`, { mode: 0o600 });
      chmodSync(temporary, 0o600);
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}

/** Checks a remote's fields and normalises the URL; errors never quote the token. */
export function checkRemote(name: string, url: string, token: string): RemoteConfig {
  if (!NAME_PATTERN.test(name)) throw udfError('UDF_ERR_USAGE', `"${name}" is not a usable remote name: start with a letter, then letters, digits, _ or - (at most 40)`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw udfError('UDF_ERR_USAGE', `"${url}" is not a URL; give the remote's base URL, e.g. http://10.0.0.5:8765`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw udfError('UDF_ERR_USAGE', `the remote URL must start with http:// or https://, got "${url}"`);
  if (parsed.username || parsed.password) throw udfError('UDF_ERR_USAGE', 'the remote URL must not carry a user name or password; give the token with --token');
  if (parsed.search || parsed.hash) throw udfError('UDF_ERR_USAGE', 'the remote URL must not carry a query or fragment');
  if (!token || token.length > MAX_TOKEN_LENGTH || /\s/.test(token)) throw udfError('UDF_ERR_USAGE', 'the token must be non-empty, without spaces or line breaks');
  return { name, url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`, token };
}
