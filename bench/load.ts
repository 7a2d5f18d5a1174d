/**
 * Load from a generator in its own process, so its cost stays out of the server's figures: wrk when
 * installed (a C client), else autocannon.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));
const run = promisify(execFile);

export interface LoadResult {
  requestsPerSecond: number;
  /** Median latency, milliseconds. */
  p50: number;
  non2xx: number;
  tool: string;
}

/** Requests `url` over `connections` keep-alive connections for `seconds`, with extra request headers. */
export async function loadTest(url: string, connections: number, seconds: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  // wrk takes `-H 'name: value'`, autocannon `-H name=value`.
  const headerArgs = (separator: string): string[] => Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}${separator}${value}`]);
  try {
    const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...headerArgs(': '), url]);
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
    const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)/m.exec(stdout);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    const scale = { us: 0.001, ms: 1, s: 1000 }[(p50?.[2] ?? 'ms') as 'us' | 'ms' | 's'];
    return { requestsPerSecond: Number(rate), p50: Number((Number(p50?.[1] ?? NaN) * scale).toFixed(3)), non2xx, tool: 'wrk' };
  } catch {
    const { stdout } = await run(process.execPath, [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-j', ...headerArgs('='), url], { maxBuffer: 16 * 1024 * 1024 });
    const result = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number }; non2xx: number };
    return { requestsPerSecond: result.requests.average, p50: result.latency.p50, non2xx: result.non2xx, tool: 'autocannon' };
  }
}
