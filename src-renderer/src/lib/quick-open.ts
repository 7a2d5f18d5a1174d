/**
 * What Ctrl+K / Ctrl+P offers: every UDF of the library and every view, ranked against what was
 * typed. A name that starts with the query ranks first, then one that contains it, then one whose
 * letters appear in order (so "hw" finds Hello_World); the rest is left out.
 */

import type { LibraryListing } from '../../../src-shared/app-api.js';
import type { Route } from '../state/router.svelte.js';

export interface QuickItem {
  route: Route;
  label: string;
  /** A short second line: the kind and where it lives. */
  detail: string;
  /** What the query is matched against besides the label. */
  keywords: string;
}

const VIEWS: QuickItem[] = [
  { route: { view: 'home' }, label: 'Home', detail: 'view', keywords: 'start welcome' },
  { route: { view: 'tokens' }, label: 'Tokens', detail: 'view', keywords: 'share shared url qgis' },
  { route: { view: 'cache' }, label: 'Cache', detail: 'view', keywords: 'results disk clear' },
  { route: { view: 'jobs' }, label: 'Jobs', detail: 'view', keywords: 'submit batch map progress' },
  { route: { view: 'secrets' }, label: 'Secrets', detail: 'view', keywords: 'keys passwords' },
  { route: { view: 'settings' }, label: 'Settings', detail: 'view', keywords: 'preferences runtime workspace remotes' },
];

export function quickItems(listing: LibraryListing | null): QuickItem[] {
  // One entry per UDF name: a workspace copy hides the bundled example of the same name.
  const ordered = [...(listing?.udfs ?? [])].sort((a, b) => Number(a.example) - Number(b.example));
  const seen = new Set<string>();
  const udfs = ordered.filter((udf) => !seen.has(udf.name) && seen.add(udf.name)).map((udf): QuickItem => ({
    route: { view: 'udf', name: udf.name },
    label: udf.displayName,
    detail: [udf.tile ? 'tile UDF' : 'UDF', udf.example ? 'bundled example' : udf.collection].filter(Boolean).join(' · '),
    keywords: [udf.name, udf.summary ?? '', ...udf.tags].join(' '),
  }));
  return [...udfs, ...VIEWS];
}

/** Lower is better; null when the item does not match at all. */
function score(item: QuickItem, query: string): number | null {
  const label = item.label.toLowerCase();
  if (label.startsWith(query)) return 0;
  if (label.includes(query)) return 1;
  if (item.keywords.toLowerCase().includes(query)) return 2;
  let at = 0;
  for (const char of label) if (char === query[at]) at++;
  return at === query.length ? 3 : null;
}

export function rankQuickItems(items: readonly QuickItem[], query: string): QuickItem[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [...items];
  return items
    .map((item, index) => ({ item, index, rank: score(item, needle) }))
    .filter((entry): entry is { item: QuickItem; index: number; rank: number } => entry.rank !== null)
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.item);
}
