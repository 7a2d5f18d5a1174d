/**
 * How vector features are coloured: one colour, a column's numbers on a colour ramp, or a
 * column's categories from a palette; read from the UDF's `fused:vizConfig` where it says how
 * (deck.gl's `colorContinuous` / `colorCategories` accessors with their CARTO palette, or a fixed
 * [r, g, b, a]), else picked by the user from the columns the tiles carry.
 *
 * Shared by the window's map (src-renderer/src/map/feature-style.ts) and the QGIS layer files the
 * engine writes (src-main/engine/qgis/), so both colour a layer alike. The CARTO palettes come from
 * the `cartocolor` package, which this pure module cannot import: callers pass its table in.
 */

export type Rgb = [number, number, number];

/** CARTO's palettes as the `cartocolor` package exports them: each name maps a size to hex colours. */
export type PaletteTable = Readonly<Record<string, Record<string, unknown>>>;

export type FeatureStyle =
  | { kind: 'single'; color: Rgb; fillAlpha: number; filled: boolean }
  | { kind: 'numeric'; column: string; domain: [number, number]; fillAlpha: number; filled: boolean; colors?: Rgb[] }
  | { kind: 'categorical'; column: string; categories: string[]; fillAlpha: number; filled: boolean; colors?: Rgb[] };

export interface ColumnInfo {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Numeric columns: the smallest and largest value seen. */
  min: number;
  max: number;
  /** Categorical columns: the distinct values seen (at most MAX_CATEGORIES + 1). */
  values: string[];
}

/** A sequential ramp, light to dark (yellow → green → blue → purple), interpolated between stops. */
export const RAMP: Rgb[] = [[253, 231, 37], [122, 209, 81], [34, 168, 132], [42, 120, 142], [65, 68, 135], [68, 1, 84]];
/** Distinct hues for categories; beyond these the last colour repeats as "other". */
const PALETTE: Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [188, 189, 34], [23, 190, 207], [127, 127, 127],
];
export const MAX_CATEGORIES = PALETTE.length - 1;
/** The colour of a feature whose column has no value. */
export const NULL_COLOR: Rgb = [170, 170, 170];
export const DEFAULT_COLOR: Rgb = [29, 78, 216];

export function singleStyle(color: Rgb = DEFAULT_COLOR): FeatureStyle {
  return { kind: 'single', color, fillAlpha: 0.22, filled: true };
}

/** The colour of one feature under a style. */
export function colorOf(style: FeatureStyle, properties: Record<string, unknown> | null): Rgb {
  if (style.kind === 'single') return style.color;
  const value = properties?.[style.column];
  if (value === null || value === undefined) return NULL_COLOR;
  if (style.kind === 'numeric') {
    const number = Number(value);
    if (!Number.isFinite(number)) return NULL_COLOR;
    const [low, high] = style.domain;
    return rampAt(high === low ? 0.5 : (number - low) / (high - low), style.colors);
  }
  const index = style.categories.indexOf(textOf(value));
  return categoryColor(index, style.colors);
}

/** A category's colour: the palette's index-th, or "other" past the palette or for an unknown value. */
export function categoryColor(index: number, colors: Rgb[] = PALETTE.slice(0, MAX_CATEGORIES)): Rgb {
  return (index >= 0 && index < colors.length ? colors[index] : PALETTE[MAX_CATEGORIES]) as Rgb;
}

/** The ramp's colour at t in [0, 1] (clamped), between its evenly spaced stops. */
export function rampAt(t: number, ramp: Rgb[] = RAMP): Rgb {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (ramp.length - 1);
  const index = Math.min(ramp.length - 2, Math.floor(position));
  const local = position - index;
  const [a, b] = [ramp[index] as Rgb, ramp[index + 1] as Rgb];
  return [0, 1, 2].map((channel) => Math.round((a[channel] as number) + ((b[channel] as number) - (a[channel] as number)) * local)) as Rgb;
}

export function css([r, g, b]: Rgb, alpha = 1): string {
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** What the legend shows: a gradient with its ends, or one swatch per category. */
export function legendOf(style: FeatureStyle): { gradient: string; low: string; high: string } | { swatches: Array<{ label: string; color: string }> } {
  if (style.kind === 'numeric') {
    const stops = Array.from({ length: 6 }, (_, index) => css(rampAt(index / 5, style.colors)));
    return { gradient: `linear-gradient(to right, ${stops.join(', ')})`, low: formatNumber(style.domain[0]), high: formatNumber(style.domain[1]) };
  }
  if (style.kind === 'categorical') {
    const named = Math.min(style.categories.length, style.colors?.length ?? MAX_CATEGORIES);
    const shown = style.categories.slice(0, named).map((label, index) => ({ label, color: css(categoryColor(index, style.colors)) }));
    if (style.categories.length > named) shown.push({ label: 'other', color: css(PALETTE[MAX_CATEGORIES] as Rgb) });
    return { swatches: shown };
  }
  return { swatches: [{ label: 'features', color: css(style.color) }] };
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(Math.round(value)) : value.toPrecision(3);
}

/** The columns of some features, numeric when every present value is a number. */
export function columnsOf(features: Iterable<{ properties: Record<string, unknown> | null }>): ColumnInfo[] {
  const columns = new Map<string, ColumnInfo>();
  for (const feature of features) {
    for (const [name, value] of Object.entries(feature.properties ?? {})) {
      if (value === null || value === undefined || typeof value === 'object') continue;
      let column = columns.get(name);
      if (!column) {
        column = { name, kind: typeof value === 'number' ? 'numeric' : 'categorical', min: Infinity, max: -Infinity, values: [] };
        columns.set(name, column);
      }
      if (typeof value !== 'number') column.kind = 'categorical';
      if (typeof value === 'number') {
        column.min = Math.min(column.min, value);
        column.max = Math.max(column.max, value);
      }
      const text = textOf(value);
      if (column.values.length <= MAX_CATEGORIES && !column.values.includes(text)) column.values.push(text);
    }
  }
  return [...columns.values()];
}

/** Whether two styles colour every feature alike (a style read again from the same vizConfig is). */
export function sameStyle(a: FeatureStyle, b: FeatureStyle): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether two readings of columns say the same (a style built from either is the same style). */
export function sameColumns(a: readonly ColumnInfo[], b: readonly ColumnInfo[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A style colouring by a column, with the domain or categories its values show. */
export function styleForColumn(column: ColumnInfo, base: FeatureStyle): FeatureStyle {
  const { fillAlpha, filled } = base;
  if (column.kind === 'numeric') return { kind: 'numeric', column: column.name, domain: [column.min, column.max], fillAlpha, filled };
  return { kind: 'categorical', column: column.name, categories: [...column.values].sort(), fillAlpha, filled };
}

/**
 * The style a vector layer is drawn with: the column picked in the layer panel (`''`: one colour),
 * else what vizConfig says (categories it leaves out are the data's), else one colour. The window's
 * map and the QGIS layer files decide it here, from the columns the tiles show.
 */
export function layerStyle(vizStyle: FeatureStyle | null, columns: ColumnInfo[], picked: string | null): FeatureStyle {
  if (picked === '') return singleStyle();
  const name = picked ?? (vizStyle && vizStyle.kind !== 'single' ? vizStyle.column : null);
  const info = columns.find((column) => column.name === name);
  if (picked === null && vizStyle) {
    if (vizStyle.kind === 'categorical' && vizStyle.categories.length === 0 && info) return styleForColumn(info, vizStyle);
    return vizStyle;
  }
  return info ? styleForColumn(info, vizStyle ?? singleStyle()) : singleStyle();
}

/**
 * The style `fused:vizConfig`'s vector layer asks for, or null when it says nothing we can follow
 * (its other accessors, such as `@@=` expressions, are deck.gl code and are not evaluated here).
 */
export function styleFromVizConfig(vizConfig: Record<string, unknown> | null, palettes: PaletteTable): FeatureStyle | null {
  const layer = vizConfig?.vectorLayer;
  if (typeof layer !== 'object' || layer === null) return null;
  const { filled, getFillColor, getLineColor } = layer as Record<string, unknown>;
  const isFilled = filled !== false;
  // The accessor that shows: the fill when filled, else the line.
  const accessor = isFilled ? getFillColor : getLineColor;
  const fillAlpha = isFilled ? alphaOf(getFillColor) : 0;
  if (Array.isArray(accessor) && accessor.length >= 3 && accessor.slice(0, 3).every((channel) => typeof channel === 'number')) {
    return { kind: 'single', color: accessor.slice(0, 3) as Rgb, fillAlpha, filled: isFilled };
  }
  if (typeof accessor !== 'object' || accessor === null) return null;
  const spec = accessor as Record<string, unknown>;
  if (typeof spec.attr !== 'string') return null;
  if (spec['@@function'] === 'colorContinuous') {
    const domain = Array.isArray(spec.domain) && spec.domain.length >= 2 && spec.domain.every((bound) => typeof bound === 'number') ? spec.domain : null;
    if (!domain) return null;
    const colors = namedPalette(palettes, spec.colors, domain.length);
    return { kind: 'numeric', column: spec.attr, domain: [domain[0] as number, domain[domain.length - 1] as number], fillAlpha, filled: isFilled, ...(colors ? { colors } : {}) };
  }
  if (spec['@@function'] === 'colorCategories') {
    const categories = Array.isArray(spec.domain) ? spec.domain.map(String) : [];
    const colors = namedPalette(palettes, spec.colors, categories.length);
    return { kind: 'categorical', column: spec.attr, categories, fillAlpha, filled: isFilled, ...(colors ? { colors } : {}) };
  }
  return null;
}

/**
 * A CARTO palette by name (`colors: "TealGrn"`), in the size deck.gl's accessors take: one colour
 * per domain entry, from 2 up to the largest size the palette has. Undefined for any other name.
 */
export function namedPalette(palettes: PaletteTable, name: unknown, entries: number): Rgb[] | undefined {
  if (typeof name !== 'string' || !Object.hasOwn(palettes, name)) return undefined;
  const sizes = palettes[name] as Record<string, unknown>;
  const available = Object.keys(sizes).map(Number).filter((size) => Number.isInteger(size) && size >= 2);
  if (available.length === 0) return undefined;
  const size = Math.min(Math.max(2, entries), Math.max(...available));
  const hexes = sizes[String(available.includes(size) ? size : Math.max(...available))];
  if (!Array.isArray(hexes) || !hexes.every((hex) => typeof hex === 'string' && /^#[0-9a-f]{6}$/i.test(hex))) return undefined;
  return hexes.map((hex: string) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)) as Rgb);
}

/** A property value as a category's label. */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

/** A fill's alpha from a deck.gl [r, g, b, a] (0–255), with a light default. */
function alphaOf(color: unknown): number {
  if (Array.isArray(color) && typeof color[3] === 'number') return Math.min(1, Math.max(0.05, color[3] / 255));
  return 0.45;
}
