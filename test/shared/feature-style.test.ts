import { describe, expect, it } from 'vitest';
import { layerStyle, singleStyle, type ColumnInfo, type FeatureStyle } from '../../src-shared/feature-style.js';

const columns: ColumnInfo[] = [
  { name: 'value', kind: 'numeric', min: 2, max: 9, values: ['2', '9'] },
  { name: 'kind', kind: 'categorical', min: Infinity, max: -Infinity, values: ['cell', 'centre'] },
];
const viz: FeatureStyle = { kind: 'numeric', column: 'value', domain: [0, 12], fillAlpha: 0.45, filled: true };

describe('layerStyle (the map and the QGIS layer files decide a layer\'s style here)', () => {
  it('follows vizConfig until a column is picked, and one colour when "" is', () => {
    expect(layerStyle(viz, columns, null)).toEqual(viz);
    expect(layerStyle(viz, columns, '')).toEqual(singleStyle());
    expect(layerStyle(null, columns, null)).toEqual(singleStyle());
  });

  it('colours by a picked column from what the tiles show, keeping vizConfig\'s fill', () => {
    expect(layerStyle(viz, columns, 'kind')).toEqual({ kind: 'categorical', column: 'kind', categories: ['cell', 'centre'], fillAlpha: 0.45, filled: true });
    expect(layerStyle(null, columns, 'value')).toEqual({ kind: 'numeric', column: 'value', domain: [2, 9], fillAlpha: 0.22, filled: true });
    expect(layerStyle(viz, columns, 'height')).toEqual(singleStyle());
  });

  it('takes the categories vizConfig leaves out from the tiles', () => {
    const open: FeatureStyle = { kind: 'categorical', column: 'kind', categories: [], fillAlpha: 0.3, filled: false };
    expect(layerStyle(open, columns, null)).toEqual({ kind: 'categorical', column: 'kind', categories: ['cell', 'centre'], fillAlpha: 0.3, filled: false });
    expect(layerStyle(open, [], null)).toEqual(open);
  });
});
