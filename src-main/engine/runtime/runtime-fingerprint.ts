/**
 * A hash that changes when the runtime's packages (its requirements) or the runtime's own Python
 * sources change: cached results made by another runtime are never served.
 */

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStamp } from './python-env.js';

export function runtimeFingerprint(runtimeDir: string, runtimeSources: string): string {
  const hash = createHash('sha256');
  hash.update(readStamp(runtimeDir)?.requirementsHash ?? 'no-stamp').update('\0');
  for (const file of pythonFiles(runtimeSources)) hash.update(file).update('\0').update(readFileSync(join(runtimeSources, file))).update('\0');
  return hash.digest('hex');
}

function pythonFiles(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && entry.name !== '__pycache__')
    .flatMap((entry) => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return pythonFiles(root, relative);
      return entry.name.endsWith('.py') || entry.name.endsWith('.txt') ? [relative] : [];
    })
    .sort();
}
