/**
 * The home's secrets, which UDF code reads as `fused.secrets["NAME"]`: `secrets.json` in the home
 * (`{"secrets": {"NAME": "value"}}`), mode 0600, replaced atomically on every change. The runtime's
 * `fused/_secret_store.py` reads and writes the same file; workers read it when a UDF asks, so a
 * change shows in the next run without restarting them.
 *
 * Values go in here and out only to Python (through the file). Listings give names; no error
 * message quotes a value or the file's content (V8's JSON errors quote the text near the fault,
 * so they are not passed on).
 */

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_SECRET_VALUE_BYTES, SECRET_NAME_PATTERN, SECRET_NAME_RULE } from '../../../src-shared/app-api.js';
import { udfError } from '../../../src-shared/errors.js';

/** How the user sets a secret; error messages about a missing one point here. */
export const SET_COMMAND = 'udf-studio secret set NAME';

/** Reads and changes `secrets.json`. Every call goes to the disk, so CLI changes show in a running server. */
export class SecretStore {
  constructor(readonly path: string) {}

  /** The names of every secret, sorted. */
  names(): string[] {
    return Object.keys(this.read()).sort();
  }

  /** Stores `value` under `name`, replacing any; says whether one was replaced. */
  set(name: string, value: string): { replaced: boolean } {
    checkSecretName(name);
    checkSecretValue(name, value);
    const secrets = this.read();
    const replaced = Object.hasOwn(secrets, name);
    this.write({ ...secrets, [name]: value });
    return { replaced };
  }

  /** Forgets a secret; an unknown name is UDF_ERR_SECRET_UNKNOWN. */
  remove(name: string): void {
    checkSecretName(name);
    const secrets = this.read();
    if (!Object.hasOwn(secrets, name)) {
      throw udfError('UDF_ERR_SECRET_UNKNOWN', `no secret named "${name}"${this.known(secrets)}`);
    }
    delete secrets[name];
    this.write(secrets);
  }

  private read(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    const fix = 'fix it, or remove it and set the secrets again';
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch {
      throw udfError('UDF_ERR_SECRETS_FILE', `${this.path} is not valid JSON; ${fix}`);
    }
    const secrets = (parsed as { secrets?: unknown } | null)?.secrets;
    if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) {
      throw udfError('UDF_ERR_SECRETS_FILE', `${this.path} must hold {"secrets": {"NAME": "value"}}; ${fix}`);
    }
    // A null prototype: a secret may be called "constructor" or "__proto__".
    const checked: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of Object.entries(secrets)) {
      if (typeof value !== 'string') throw udfError('UDF_ERR_SECRETS_FILE', `${this.path}: the value of secret "${name}" is not a string; ${fix}`);
      checked[name] = value;
    }
    return checked;
  }

  private known(secrets: Record<string, string>): string {
    const names = Object.keys(secrets).sort();
    return names.length ? `; the secrets are: ${names.join(', ')}` : `; there are none (set one with: ${SET_COMMAND})`;
  }

  /** Replaces the file: a new file, owner-only from its creation, flushed, then renamed over the old one. */
  private write(secrets: Record<string, string>): void {
    const sorted = Object.fromEntries(Object.keys(secrets).sort().map((name) => [name, secrets[name]]));
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      rmSync(temporary, { force: true });
      const fd = openSync(temporary, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ secrets: sorted }, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}

/** Checks a secret's name (UDF_ERR_USAGE: a 400, or exit status 2 on the command line). */
export function checkSecretName(name: string): string {
  if (!SECRET_NAME_PATTERN.test(name)) throw udfError('UDF_ERR_USAGE', `${JSON.stringify(name)} is not a secret name: use ${SECRET_NAME_RULE}`);
  return name;
}

/** Checks a secret's value; the message never quotes it. */
export function checkSecretValue(name: string, value: string): string {
  if (value === '') throw udfError('UDF_ERR_USAGE', `the value of secret "${name}" is empty`);
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_VALUE_BYTES) throw udfError('UDF_ERR_USAGE', `the value of secret "${name}" is over ${MAX_SECRET_VALUE_BYTES} bytes`);
  return value;
}
