/**
 * Turns a run's bytes into what the result panel shows: rows for tables, features for the map,
 * an image, HTML for a sandboxed frame, pretty JSON or text.
 */

import type { RunResult } from '../api/client.js';

export type ShownResult =
  | { kind: 'table'; rows: Array<Record<string, unknown>> }
  | { kind: 'geotable'; geojson: GeoJSON.FeatureCollection; rows: Array<Record<string, unknown>> }
  | { kind: 'image'; url: string; size: number }
  | { kind: 'html'; html: string }
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'empty' }
  | { kind: 'bytes'; size: number; url: string };

export async function showResult(result: RunResult): Promise<ShownResult> {
  switch (result.kind) {
    case 'table': {
      const rows = JSON.parse(await result.body.text()) as Array<Record<string, unknown>>;
      return { kind: 'table', rows: Array.isArray(rows) ? rows : [] };
    }
    case 'geotable': {
      const geojson = JSON.parse(await result.body.text()) as GeoJSON.FeatureCollection;
      const rows = geojson.features.map((feature) => ({ ...(feature.properties ?? {}), geometry: feature.geometry?.type ?? null }));
      return { kind: 'geotable', geojson, rows };
    }
    case 'raster':
      return { kind: 'image', url: URL.createObjectURL(result.body), size: result.body.size };
    case 'html':
      return { kind: 'html', html: await stringOf(result) };
    case 'json': {
      const text = await result.body.text();
      try {
        return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
      } catch {
        return { kind: 'text', text };
      }
    }
    case 'text':
      return { kind: 'text', text: await stringOf(result) };
    case 'empty':
      return { kind: 'empty' };
    default:
      return { kind: 'bytes', size: result.body.size, url: URL.createObjectURL(result.body) };
  }
}

/**
 * A string result's text. The window's format list has json before html and text (tables must come
 * as JSON rows), and Fused's protocol lets a string answer as JSON, so it may arrive as a JSON string.
 */
async function stringOf(result: RunResult): Promise<string> {
  const text = await result.body.text();
  if (!result.contentType.startsWith('application/json')) return text;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : text;
  } catch {
    return text;
  }
}

/** Frees what a shown result holds (object URLs of images and downloads). */
export function releaseResult(shown: ShownResult | null): void {
  if (shown && (shown.kind === 'image' || shown.kind === 'bytes')) URL.revokeObjectURL(shown.url);
}
