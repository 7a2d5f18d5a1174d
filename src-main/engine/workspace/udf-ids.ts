/**
 * Stable ids for local UDFs: the `fused:id` of meta.json when it has one, else an id this engine
 * assigns to the folder once and keeps in SQLite (the user's files are never rewritten for it).
 */

import { randomUUID } from 'node:crypto';
import type { Db } from '../store/database.js';
import type { UdfFolder } from './udf-folder.js';

export class UdfIds {
  private readonly known = new Map<string, string>();
  private readonly select;
  private readonly insert;

  constructor(db: Db) {
    this.select = db.prepare('SELECT id FROM udf_ids WHERE dir = ?');
    this.insert = db.prepare('INSERT OR IGNORE INTO udf_ids (dir, id) VALUES (?, ?)');
  }

  /** The UDF's id; code sent in a request (no folder) is identified by its name. */
  idFor(udf: UdfFolder): string {
    const fusedId = udf.source.metadata['fused:id'];
    if (typeof fusedId === 'string' && fusedId) return fusedId;
    if (!udf.dir) return `code:${udf.name}`;
    const cached = this.known.get(udf.dir);
    if (cached) return cached;
    this.insert.run(udf.dir, randomUUID());
    const id = (this.select.get(udf.dir) as { id: string }).id;
    this.known.set(udf.dir, id);
    return id;
  }
}
