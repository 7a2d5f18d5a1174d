/**
 * The packages a user added to the runtime, kept in the home (`user-packages.json`) so that a
 * runtime update, repair or reset installs them again, and `doctor` can list them.
 *
 * `{"packages": {"mercantile": "1.2.1"}, "extras": ["ai"]}`: each package at the version that was
 * installed, and the optional extras (requirements-EXTRA.txt) installed on top of the default set.
 */

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';

export interface UserPackages {
  /** Normalized package name → installed version. */
  packages: Record<string, string>;
  /** Optional extras installed, such as `ai`. */
  extras: string[];
}

/** A package name the index could have (PEP 508), optionally with `==VERSION`. */
const REQUIREMENT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:==([A-Za-z0-9][A-Za-z0-9.+!_-]*))?$/;
/** The extras that exist as requirements-EXTRA.txt beside requirements.txt. */
export const EXTRAS = ['ai'] as const;

export interface Requirement {
  name: string;
  version: string | null;
}

/** A package name as the index compares them (PEP 503): `Scikit_Learn` → `scikit-learn`. */
export function normalizePackageName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * Parses `NAME` or `NAME==VERSION`. Anything else (a path, a URL, an option, other operators) is
 * refused with UDF_ERR_BAD_PACKAGE: the command installs packages from the index, nothing else.
 */
export function parseRequirement(text: string): Requirement {
  const match = REQUIREMENT.exec(text.trim());
  if (!match?.[1]) {
    throw udfError('UDF_ERR_BAD_PACKAGE', `"${text}" is not a package name (letters, digits, ".", "_" and "-", optionally ==VERSION)`);
  }
  return { name: normalizePackageName(match[1]), version: match[2] ?? null };
}

/** Reads the file; an absent file is no packages, a malformed one is an error naming it. */
export function readUserPackages(path: string): UserPackages {
  if (!existsSync(path)) return { packages: {}, extras: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw udfError('UDF_ERR_SETTINGS', `${path} is not valid JSON (${(error as Error).message}); fix it or delete it`);
  }
  const value = parsed as Partial<UserPackages> | null;
  const packagesOk = typeof value?.packages === 'object' && value.packages !== null && !Array.isArray(value.packages) &&
    Object.entries(value.packages).every(([name, version]) => REQUIREMENT.test(name) && typeof version === 'string' && REQUIREMENT.test(`${name}==${version}`));
  const extrasOk = Array.isArray(value?.extras) && value.extras.every((extra) => (EXTRAS as readonly string[]).includes(extra));
  if (!packagesOk || !extrasOk) {
    throw udfError('UDF_ERR_SETTINGS', `${path} should be {"packages": {"name": "version"}, "extras": [${EXTRAS.map((e) => `"${e}"`).join(', ')}]}; fix it or delete it`);
  }
  return { packages: { ...value.packages }, extras: [...(value.extras ?? [])] };
}

/** Writes the file atomically (a temp file renamed over it). */
export function writeUserPackages(path: string, packages: UserPackages): void {
  mkdirSync(dirname(path), { recursive: true });
  const sorted: UserPackages = {
    packages: Object.fromEntries(Object.entries(packages.packages).sort(([a], [b]) => a.localeCompare(b))),
    extras: [...new Set(packages.extras)].sort(),
  };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(temp, path);
}
