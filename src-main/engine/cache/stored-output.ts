/**
 * The printed output a cached result keeps. A UDF may print without bound; the cache keeps the
 * start and the end of each stream (the end usually says how a run went), within a fixed budget.
 */

/** The most bytes of stdout, and of stderr, a cached result keeps. */
export const MAX_STORED_OUTPUT_BYTES = 64 * 1024;
/** Of that budget, how much comes from the start of the stream; the rest is its end. */
const HEAD_BYTES = 16 * 1024;

/** `text` itself when it fits the budget, else its start and end around a line saying what was left out. */
export function capOutput(text: string, limit = MAX_STORED_OUTPUT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const head = Math.min(HEAD_BYTES, Math.floor(limit / 4));
  const tail = limit - head;
  const dropped = bytes.length - head - tail;
  // Cutting inside a multi-byte character leaves a replacement character at the cut, never invalid text.
  return `${bytes.subarray(0, head).toString('utf8')}\n[… ${dropped} bytes of output not kept in the result cache …]\n${bytes.subarray(bytes.length - tail).toString('utf8')}`;
}
