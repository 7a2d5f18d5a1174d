/**
 * The layers of Mapbox Vector Tiles (their names and their fields' types), read from the
 * protocol-buffer bytes for an archive's `vector_layers`. Only the fields needed are decoded.
 */

import type { VectorLayer } from './archive-input.js';
import { fields, packed } from './protobuf.js';

/** MVT's Value fields: 1 string, 2 float, 3 double, 4 int, 5 uint, 6 sint, 7 bool. */
const VALUE_TYPES: Record<number, string> = { 1: 'String', 2: 'Number', 3: 'Number', 4: 'Number', 5: 'Number', 6: 'Number', 7: 'Boolean' };

/** Whether a vector tile holds no feature at all (no layer, or only empty ones): left out of archives. */
export function isEmptyMvt(tile: Uint8Array): boolean {
  try {
    for (const field of fields(tile)) {
      if (field.number !== 3 || !field.bytes) continue;
      for (const inner of fields(field.bytes)) if (inner.number === 2) return false;
    }
    return true;
  } catch {
    return false; // not a vector tile: kept as the UDF made it
  }
}

/** Collects the layers of many tiles: every layer named once, with every field seen in it. */
export class LayerCollector {
  private readonly layers = new Map<string, Map<string, string>>();

  /** Adds one tile's layers; bytes that are not a vector tile are skipped. */
  add(tile: Uint8Array): void {
    try {
      for (const field of fields(tile)) {
        if (field.number === 3 && field.bytes) this.addLayer(field.bytes);
      }
    } catch {
      // Not a vector tile: nothing to collect.
    }
  }

  result(): VectorLayer[] {
    return [...this.layers].map(([id, layerFields]) => ({ id, fields: Object.fromEntries(layerFields) }));
  }

  private addLayer(bytes: Uint8Array): void {
    let name = '';
    const keys: string[] = [];
    const values: string[] = [];
    const tags: number[] = [];
    for (const field of fields(bytes)) {
      if (field.number === 1 && field.bytes) name = Buffer.from(field.bytes).toString('utf8');
      else if (field.number === 3 && field.bytes) keys.push(Buffer.from(field.bytes).toString('utf8'));
      else if (field.number === 4 && field.bytes) values.push(valueType(field.bytes));
      else if (field.number === 2 && field.bytes) tags.push(...featureTags(field.bytes));
    }
    const layer = this.layers.get(name) ?? new Map<string, string>();
    this.layers.set(name, layer);
    for (let i = 0; i + 1 < tags.length; i += 2) {
      const key = keys[tags[i] as number];
      const type = values[tags[i + 1] as number];
      if (key !== undefined && type !== undefined && !layer.has(key)) layer.set(key, type);
    }
    for (const key of keys) if (!layer.has(key)) layer.set(key, 'String');
  }
}

function valueType(bytes: Uint8Array): string {
  for (const field of fields(bytes)) {
    const type = VALUE_TYPES[field.number];
    if (type) return type;
  }
  return 'String';
}

/** A feature's tags: packed pairs of key and value indexes (field 2). */
function featureTags(bytes: Uint8Array): number[] {
  for (const field of fields(bytes)) if (field.number === 2 && field.bytes) return packed(field.bytes);
  return [];
}
