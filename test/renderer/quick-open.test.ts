import { describe, expect, it } from 'vitest';
import type { LibraryListing, LibraryUdf } from '../../src-shared/app-api.js';
import { quickItems, rankQuickItems } from '../../src-renderer/src/lib/quick-open.js';

function udf(name: string, extra: Partial<LibraryUdf> = {}): LibraryUdf {
  return {
    name, displayName: name, dir: `/w/${name}`, workspace: '/w', collection: null, state: 'ok', udfType: null, tile: false,
    key: null, error: null, summary: null, tags: [], example: false, ...extra,
  };
}

const listing: LibraryListing = {
  workspaces: ['/w'], examples: '/examples',
  udfs: [udf('Hello_World'), udf('Tile_Grid', { tile: true, tags: ['vector'] }), udf('Hello_World', { example: true, workspace: '/examples' }), udf('Eiffel_Tower', { example: true, summary: 'A landmark in Paris' })],
};

describe('quick open', () => {
  it('offers every UDF once, then the views', () => {
    const items = quickItems(listing);
    expect(items.filter((item) => item.label === 'Hello_World')).toHaveLength(1);
    expect(items.find((item) => item.label === 'Hello_World')?.detail).toBe('UDF');
    expect(items.find((item) => item.label === 'Eiffel_Tower')?.detail).toBe('UDF · bundled example');
    expect(items.find((item) => item.label === 'Tile_Grid')?.detail).toBe('tile UDF');
    expect(items.slice(-6).map((item) => item.route.view)).toEqual(['home', 'tokens', 'cache', 'jobs', 'secrets', 'settings']);
    expect(quickItems(null).map((item) => item.label)).toEqual(['Home', 'Tokens', 'Cache', 'Jobs', 'Secrets', 'Settings']);
  });

  it('ranks a prefix over a substring over keywords over letters in order', () => {
    const items = quickItems(listing);
    expect(rankQuickItems(items, 'tile').map((item) => item.label)).toEqual(['Tile_Grid']);
    expect(rankQuickItems(items, 'e').map((item) => item.label).slice(0, 2)).toEqual(['Eiffel_Tower', 'Hello_World']);
    expect(rankQuickItems(items, 'paris').map((item) => item.label)).toEqual(['Eiffel_Tower']);
    expect(rankQuickItems(items, 'hw').map((item) => item.label)).toEqual(['Hello_World']);
    expect(rankQuickItems(items, 'share').map((item) => item.label)).toEqual(['Tokens']);
  });

  it('an empty query keeps the order; one that matches nothing gives nothing', () => {
    const items = quickItems(listing);
    expect(rankQuickItems(items, '  ')).toEqual(items);
    expect(rankQuickItems(items, 'zzzz')).toEqual([]);
  });
});
