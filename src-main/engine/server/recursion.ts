/**
 * The `Fused-Recursion` request header: which level of nested UDF runs a request asks for, counted
 * as Fused counts it: a call from outside any run sends 1 (the official client's top level), a UDF
 * run at that level calling another sends 2, and so on. The engine's depth is one less (0 for a
 * top-level run). Past {@link MAX_DEPTH} the call fails, so UDFs that call each other in a loop end
 * with a clear error instead of filling the pool.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { udfError } from '../../../src-shared/errors.js';
import { HOPS_HEADER, MAX_DEPTH, PARENT_RUN_HEADER, RECURSION_HEADER } from '../../../src-shared/nesting.js';

/**
 * The request's depth: 0 without the header or with 0 or 1 (a top-level call); a malformed header
 * is a 400, too deep a 508.
 */
export function recursionDepth(req: IncomingMessage): number {
  const header = req.headers[RECURSION_HEADER];
  if (header === undefined) return 0;
  const text = Array.isArray(header) ? header[0] ?? '' : header;
  if (!/^\d{1,3}$/.test(text.trim())) throw udfError('UDF_ERR_BAD_REQUEST', `the Fused-Recursion header must be a whole number, got "${text}"`);
  const depth = Math.max(0, Number(text.trim()) - 1);
  if (depth > MAX_DEPTH) throw udfError('UDF_ERR_RECURSION', `UDFs call each other ${depth} levels deep; the limit is ${MAX_DEPTH}`);
  return depth;
}

/** The request's proxy hops (see {@link HOPS_HEADER}): 0 without the header; a malformed value, or more than `depth`, is a 400. */
export function proxyHops(req: IncomingMessage, depth: number): number {
  const header = req.headers[HOPS_HEADER];
  if (header === undefined) return 0;
  const text = (Array.isArray(header) ? header[0] ?? '' : header).trim();
  if (!/^\d{1,3}$/.test(text) || Number(text) > depth) {
    throw udfError('UDF_ERR_BAD_REQUEST', `the ${HOPS_HEADER} header must be a whole number no greater than the depth of Fused-Recursion (${depth}), got "${text.slice(0, 20)}"`);
  }
  return Number(text);
}

/**
 * The engine's id of the run the request comes from ({@link PARENT_RUN_HEADER}: a UDF calling
 * back), or undefined without the header; a value that is not such an id is a 400.
 */
export function parentRun(req: IncomingMessage): string | undefined {
  const header = req.headers[PARENT_RUN_HEADER];
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header[0] ?? '' : header).trim();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) {
    throw udfError('UDF_ERR_BAD_REQUEST', `the ${PARENT_RUN_HEADER} header must be a run id the engine gave, got "${text.slice(0, 40)}"`);
  }
  return text;
}

/**
 * A signal that aborts when the client goes away before the answer is sent: a nested run whose
 * caller was cancelled or killed stops too, instead of holding a worker for nobody.
 */
export function abortOnDisconnect(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
