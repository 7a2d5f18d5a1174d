/**
 * Reading a request body, bounded, as JSON.
 */

import type { IncomingMessage } from 'node:http';
import { udfError } from '../../../src-shared/errors.js';

/** Largest body accepted (a UDF's code and headers fit many times over). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface BodyOptions {
  /** Largest body accepted, in bytes. */
  limit?: number;
  /**
   * The body carries a secret or a token: an error must not quote it. (V8's JSON errors quote the
   * text around the fault, which would put part of the value into the answer.)
   */
  sensitive?: boolean;
}

/** Reads and parses a JSON object body; a clear 4xx for a body that is too large or not JSON. */
export async function readJsonBody(req: IncomingMessage, options: BodyOptions = {}): Promise<Record<string, unknown>> {
  const limit = options.limit ?? MAX_BODY_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw udfError('UDF_ERR_BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw udfError('UDF_ERR_BAD_REQUEST', options.sensitive ? 'the request body is not valid JSON' : `the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw udfError('UDF_ERR_BAD_REQUEST', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}
