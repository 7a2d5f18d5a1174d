/**
 * The private access token: created on first start in the home's `credentials` file (mode 0600).
 * It authorises private runs, code runs and token management, like a Fused account's token.
 */

import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';

/** Reads the private token, creating the credentials file when it does not exist. */
export function loadOrCreatePrivateToken(credentialsPath: string): string {
  if (existsSync(credentialsPath)) {
    const parsed = JSON.parse(readFileSync(credentialsPath, 'utf8')) as { access_token?: unknown };
    if (typeof parsed.access_token === 'string' && /^[0-9a-f]{64}$/.test(parsed.access_token)) {
      chmodSync(credentialsPath, 0o600);
      return parsed.access_token;
    }
    throw new Error(`${credentialsPath} does not hold a valid access_token; delete it to create a new one`);
  }
  const token = randomBytes(32).toString('hex');
  const temporary = `${credentialsPath}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ access_token: token })}\n`, { mode: 0o600 });
  renameSync(temporary, credentialsPath);
  return token;
}

/** Compares a presented token with the private one in constant time. */
export function isPrivateToken(presented: string, privateToken: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(privateToken).digest();
  return timingSafeEqual(a, b);
}
