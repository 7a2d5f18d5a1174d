import { describe, expect, it } from 'vitest';
import { colorOf, columnsOf, legendOf, namedPalette, rampAt, sameColumns, sameStyle, singleStyle, styleForColumn, styleFromVizConfig, MAX_CATEGORIES, type ColumnInfo, type FeatureStyle } from '../../src-renderer/src/map/feature-style.js';

describe('vector feature styles', () => {
  const features = [
    { properties: { value: 2, kind: 'cell', flag: true } },
    { properties: { value: 10, kind: 'centre', flag: null } },
    { properties: { value: 6, kind: 'cell', nested: { a: 1 } } },
  ];

  it('tells numeric columns from categorical ones, with their range and values', () => {
    const columns = columnsOf(features);
    expect(columns.map((column) => [column.name, column.kind])).toEqual([['value', 'numeric'], ['kind', 'categorical'], ['flag', 'categorical']]);
    expect(columns[0]).toMatchObject({ min: 2, max: 10 });
    expect(columns[1]?.values).toEqual(['cell', 'centre']);
    // A column with a number and a string is categorical.
    expect(columnsOf([{ properties: { x: 1 } }, { properties: { x: 'one' } }])[0]?.kind).toBe('categorical');
  });

  it('tells a reading of the same columns from one whose names, kinds, range or values differ', () => {
    expect(sameColumns(columnsOf(features), columnsOf([...features]))).toBe(true);
    expect(sameColumns(columnsOf(features), columnsOf(features.slice(0, 2)))).toBe(false);
    expect(sameColumns(columnsOf(features), columnsOf([...features, { properties: { value: 11, kind: 'cell', flag: true } }]))).toBe(false);
    expect(sameColumns(columnsOf(features), columnsOf([...features, { properties: { value: 5, kind: 'edge', flag: true } }]))).toBe(false);
    expect(sameColumns(columnsOf(features), columnsOf([...features, { properties: { extra: 1 } }]))).toBe(false);
    expect(sameColumns([], [])).toBe(true);
  });

  it('tells a style read again from the same vizConfig from another style', () => {
    const vizConfig = { vectorLayer: { getFillColor: { '@@function': 'colorContinuous', attr: 'value', domain: [0, 10], colors: 'Teal' } } };
    const style = styleFromVizConfig(vizConfig);
    const again = styleFromVizConfig(structuredClone(vizConfig));
    expect(style).not.toBeNull();
    expect(sameStyle(style as FeatureStyle, again as FeatureStyle)).toBe(true);
    const wider = styleFromVizConfig({ vectorLayer: { getFillColor: { ...vizConfig.vectorLayer.getFillColor, domain: [0, 20] } } });
    expect(sameStyle(style as FeatureStyle, wider as FeatureStyle)).toBe(false);
    expect(sameStyle(singleStyle(), singleStyle())).toBe(true);
    expect(sameStyle(singleStyle(), style as FeatureStyle)).toBe(false);
  });

  it('colours a numeric column along the ramp across its domain, and missing values grey', () => {
    const [value] = columnsOf(features);
    const style = styleForColumn(value as ColumnInfo, singleStyle());
    expect(colorOf(style, { value: 2 })).toEqual(rampAt(0));
    expect(colorOf(style, { value: 10 })).toEqual(rampAt(1));
    expect(colorOf(style, { value: 6 })).toEqual(rampAt(0.5));
    expect(colorOf(style, { value: 99 })).toEqual(rampAt(1));
    expect(colorOf(style, { value: null })).toEqual([170, 170, 170]);
    expect(colorOf(style, { value: 'n/a' })).toEqual([170, 170, 170]);
    expect(legendOf(style)).toMatchObject({ low: '2', high: '10' });
  });

  it('gives each category its own colour, and the rest one "other" colour', () => {
    const kind = columnsOf(features)[1];
    const style = styleForColumn(kind as ColumnInfo, singleStyle());
    expect(colorOf(style, { kind: 'cell' })).not.toEqual(colorOf(style, { kind: 'centre' }));
    const many = columnsOf(Array.from({ length: 15 }, (_, index) => ({ properties: { name: `n${index}` } })))[0];
    const manyStyle = styleForColumn(many as ColumnInfo, singleStyle());
    const legend = legendOf(manyStyle);
    expect('swatches' in legend && legend.swatches.length).toBe(MAX_CATEGORIES + 1);
    expect('swatches' in legend && legend.swatches.at(-1)?.label).toBe('other');
  });

  it('reads colorContinuous, colorCategories and a fixed colour from fused:vizConfig', () => {
    expect(styleFromVizConfig({ vectorLayer: { filled: false, getLineColor: { '@@function': 'colorContinuous', attr: 'value', domain: [0, 10], colors: 'BurgYl' }, getFillColor: [208, 208, 208, 40] } }))
      .toEqual({ kind: 'numeric', column: 'value', domain: [0, 10], fillAlpha: 0, filled: false, colors: [[0xfb, 0xe6, 0xc5], [0x70, 0x28, 0x4a]] });
    expect(styleFromVizConfig({ vectorLayer: { getFillColor: { '@@function': 'colorCategories', attr: 'kind', domain: ['a', 'b'] } } }))
      .toMatchObject({ kind: 'categorical', column: 'kind', categories: ['a', 'b'], filled: true });
    expect(styleFromVizConfig({ vectorLayer: { getFillColor: [255, 0, 0, 51] } })).toEqual({ kind: 'single', color: [255, 0, 0], fillAlpha: 0.2, filled: true });
  });

  it('ignores vizConfig it cannot follow: expressions, missing parts, malformed domains', () => {
    expect(styleFromVizConfig(null)).toBeNull();
    expect(styleFromVizConfig({ tileLayer: {} })).toBeNull();
    expect(styleFromVizConfig({ vectorLayer: { getFillColor: '@@=[properties.cnt/3, 0, 0]' } })).toBeNull();
    expect(styleFromVizConfig({ vectorLayer: { getFillColor: { '@@function': 'hasProp', property: 'r' } } })).toBeNull();
    expect(styleFromVizConfig({ vectorLayer: { getFillColor: { '@@function': 'colorContinuous', attr: 'v', domain: ['low', 'high'] } } })).toBeNull();
    expect(styleFromVizConfig({ vectorLayer: { getFillColor: [1, 'two', 3] } })).toBeNull();
  });

  it('colours with the CARTO palette vizConfig names, as deck.gl does: one colour per domain entry', () => {
    // TealGrn, the catalogue's most used palette: its 2- and 7-colour forms.
    expect(namedPalette('TealGrn', 2)).toEqual([[0xb0, 0xf2, 0xbc], [0x25, 0x7d, 0x98]]);
    expect(namedPalette('TealGrn', 30)).toHaveLength(7);
    expect(namedPalette('TealGrn', 0)).toHaveLength(2);
    const numeric = styleFromVizConfig({ vectorLayer: { getFillColor: { '@@function': 'colorContinuous', attr: 'v', domain: [0, 5, 10], colors: 'TealGrn' } } });
    expect(numeric && colorOf(numeric, { v: 0 })).toEqual([0xb0, 0xf2, 0xbc]);
    expect(numeric && colorOf(numeric, { v: 10 })).toEqual([0x25, 0x7d, 0x98]);
    const legend = numeric && legendOf(numeric);
    expect(legend && 'gradient' in legend && legend.gradient).toContain('rgb(176, 242, 188)');
    const categories = styleFromVizConfig({ vectorLayer: { getFillColor: { '@@function': 'colorCategories', attr: 'k', domain: ['a', 'b', 'c'], colors: 'Bold' } } });
    // Bold is qualitative: its 3-colour form; a value outside the domain is grey.
    expect(categories && [colorOf(categories, { k: 'a' }), colorOf(categories, { k: 'c' })]).toEqual([[0x7f, 0x3c, 0x8d], [0x39, 0x69, 0xac]]);
    expect(categories && colorOf(categories, { k: 'zzz' })).toEqual([127, 127, 127]);
    // Names that are not palettes, and what is not a name, leave the default ramp.
    for (const name of ['NoSuchPalette', 'toString', '__proto__', 42, null]) expect(namedPalette(name, 3)).toBeUndefined();
  });
});
