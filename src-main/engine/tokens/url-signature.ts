/**
 * Signatures for URLs that are opened without a token (batch-job result files, signed file URLs):
 * an HMAC-SHA256 of what the URL names, so that only the engine, which holds the key, can make one.
 *
 * Batch-job result URLs use a key that lives as long as the server; signed file URLs use the home's
 * key (`url-signing-key`, mode 0600), so a URL handed out stays valid across restarts until it expires.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Hex characters of a signature: 128 bits of the HMAC. */
export const SIGNATURE_LENGTH = 32;
const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** Signs messages with one key and checks signatures in constant time. */
export class UrlSigner {
  constructor(private readonly key: Buffer) {}

  sign(message: string): string {
    return createHmac('sha256', this.key).update(message).digest('hex').slice(0, SIGNATURE_LENGTH);
  }

  /** Whether `signature` is this key's signature of `message`. */
  verify(message: string, signature: string): boolean {
    const expected = this.sign(message);
    return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  }
}

/** A signer with a fresh random key (its signatures die with the process). */
export function ephemeralSigner(): UrlSigner {
  return new UrlSigner(randomBytes(32));
}

/** The signer of the key kept at `path`, created (mode 0600) when it does not exist. */
export function loadOrCreateSigner(path: string): UrlSigner {
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    if (!KEY_PATTERN.test(text)) throw new Error(`${path} does not hold a URL signing key; delete it to create a new one (URLs signed before stop working)`);
    chmodSync(path, 0o600);
    return new UrlSigner(Buffer.from(text, 'hex'));
  }
  const key = randomBytes(32);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${key.toString('hex')}\n`, { mode: 0o600 });
  renameSync(temporary, path);
  return new UrlSigner(key);
}
