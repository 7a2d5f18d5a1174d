/**
 * The headers a run's UDF sees through `fused.context.get_headers()`: the HTTP request's, without
 * the ones that carry credentials (the private token, session cookies and keys), plus `Fused-Share-Token`
 * naming the shared token a run came through, as Fused's server sets it.
 */

import type { IncomingMessage } from 'node:http';
import { SESSION_KEY } from '../../../src-shared/app-api.js';

/** Headers never handed to UDF code: they would let it act as the caller. */
const WITHHELD = new Set(['authorization', 'proxy-authorization', 'cookie', SESSION_KEY.header]);
export const SHARE_TOKEN_HEADER = 'fused-share-token';

export function runHeaders(req: IncomingMessage, sharedToken: string | null): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || WITHHELD.has(name) || name === SHARE_TOKEN_HEADER) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (sharedToken !== null) headers[SHARE_TOKEN_HEADER] = sharedToken;
  return headers;
}
