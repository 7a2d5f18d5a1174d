/**
 * Percentiles and formatting for benchmark figures.
 */

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Summarises a list of durations (milliseconds). */
export function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: sorted.reduce((s, v) => s + v, 0) / sorted.length };
}

/** Milliseconds with a sensible number of digits. */
export function ms(value: number): string {
  if (value < 0.01) return `${(value * 1000).toFixed(2)} µs`;
  return value < 1 ? `${value.toFixed(3)} ms` : `${value.toFixed(1)} ms`;
}

/** Prints a figure line: name, value, and the reference it is compared with. */
export function report(name: string, value: string, note = ''): void {
  process.stdout.write(`  ${name.padEnd(66)} ${value.padStart(10)}${note ? `   ${note}` : ''}\n`);
}

/**
 * Runs each measurement `rounds` times, all of them in turn each round, and gives each one's median
 * round by `score`: on a small machine one run can be 20% off, and a slow spell then falls on all.
 */
export async function medianRounds<T>(rounds: number, measurements: (() => Promise<T>)[], score: (result: T) => number): Promise<T[]> {
  const results: T[][] = measurements.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, measure] of measurements.entries()) results[index]?.push(await measure());
  }
  return results.map((each) => [...each].sort((a, b) => score(a) - score(b))[Math.floor(each.length / 2)] as T);
}
