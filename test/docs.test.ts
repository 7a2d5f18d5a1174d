import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src-shared/errors.js';
import { COMMANDS } from '../src-main/cli.js';
import { buildRouter } from '../src-main/engine/server/http-server.js';
import type { ServerServices } from '../src-main/engine/server/services.js';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');

describe('docs are a contract', () => {
  it('docs/errors.md lists exactly the error codes, with their statuses and meanings', () => {
    const rows = [...read('docs/errors.md').matchAll(/^\| `(UDF_ERR_[A-Z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, { status, title }]) => [code, status, title]));
  });

  it('the README documents every CLI command', () => {
    const readme = read('README.md');
    for (const command of COMMANDS) expect(readme, `README is missing udf-studio ${command.name}`).toMatch(new RegExp(`\`udf-studio ${command.name}\\b`));
  });

  it('docs/http-api.md documents every route the server answers', () => {
    const doc = read('docs/http-api.md');
    const services = { engine: { pool: { workerPids: () => [] } } } as unknown as ServerServices;
    const routes = buildRouter(services).list();
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) expect(doc, `docs/http-api.md is missing ${route}`).toContain(`\`${route}\``);
  });
});
