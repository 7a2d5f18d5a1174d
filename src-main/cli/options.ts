/**
 * Command-line option parsing on top of node:util parseArgs, with errors as {@link UsageError}.
 */

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-error.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedOptions {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses `args` strictly: an unknown option or a missing value is a usage error. */
export function parseOptions(args: string[], options: OptionSpec, allowPositionals = true): ParsedOptions {
  try {
    const parsed = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: parsed.values as ParsedOptions['values'], positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** A string option's value, or undefined. */
export function stringOption(values: ParsedOptions['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A number option's value; a usage error when it is not a positive number. */
export function positiveNumberOption(values: ParsedOptions['values'], name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} needs a positive number, got "${text}"`);
  return value;
}

/** Splits repeated `NAME=VALUE` options into an object; a usage error for a malformed one. */
export function keyValueOptions(values: ParsedOptions['values'], name: string): Record<string, string> {
  const raw = values[name];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  const result: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`--${name} takes NAME=VALUE with NAME a Python identifier, got "${item}"`);
    }
    result[key] = item.slice(eq + 1);
  }
  return result;
}
