/**
 * Another process holding a SQLite database's write lock (an open write transaction) until released:
 * what a second engine, a backup tool or a `sqlite3` shell in the middle of a write does.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('BEGIN IMMEDIATE');
db.exec("CREATE TABLE IF NOT EXISTS lock_holder (n INTEGER)");
db.exec('INSERT INTO lock_holder VALUES (1)');
process.stdout.write('locked\\n');
process.stdin.resume();
process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
`;

export interface SqliteLock {
  /** Ends the transaction and waits for the process to exit. */
  release(): Promise<void>;
}

/** Resolves once the other process holds the write lock of the database at `path`. */
export function holdWriteLock(path: string): Promise<SqliteLock> {
  const child = spawn(process.execPath, ['-e', HOLDER, path], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('locked')) return;
      resolve({
        release: async () => {
          child.stdin.end();
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}: ${err}`)));
  });
}
