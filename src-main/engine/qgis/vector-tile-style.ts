/**
 * A vector tile layer's style for QGIS (its "basic" renderer): one style each for polygons, lines
 * and points, coloured as the window's map colours the layer (src-shared/feature-style.ts). A
 * column's colours are QGIS expressions that compute what `colorOf` computes: the same ramp stops
 * interpolated the same way, the same categories, the same colour for missing values.
 */

import { categoryColor, MAX_CATEGORIES, NULL_COLOR, RAMP, rampAt, type FeatureStyle, type Rgb } from '../../../src-shared/feature-style.js';
import { xmlText } from './xml.js';

/** The window draws lines 1.2 px wide and points as discs of radius 3 px. */
const LINE_WIDTH_PX = 1.2;
const POINT_DIAMETER_PX = 6;
/**
 * The layer inside the engine's MVT tiles (the runtime's vector_tile encoder). Named rather than
 * left empty ("every layer"): QGIS 3.22 then reads no attributes for the colour expressions.
 */
const MVT_LAYER = 'udf';

/** The `<renderer>` element of a vector tile layer. */
export function vectorTileRenderer(style: FeatureStyle): string {
  const fill = colorOf(style, style.filled ? Math.round(style.fillAlpha * 255) : 0);
  const stroke = colorOf(style, 255);
  const polygons = symbol('fill', 'SimpleFill', {
    color: fill.fixed, style: style.filled ? 'solid' : 'no', outline_color: stroke.fixed, outline_style: 'solid',
    outline_width: String(LINE_WIDTH_PX), outline_width_unit: 'Pixel',
  }, { fillColor: fill.expression, outlineColor: stroke.expression });
  const lines = symbol('line', 'SimpleLine', {
    line_color: stroke.fixed, line_style: 'solid', line_width: String(LINE_WIDTH_PX), line_width_unit: 'Pixel',
  }, { outlineColor: stroke.expression });
  const points = symbol('marker', 'SimpleMarker', {
    name: 'circle', color: stroke.fixed, outline_style: 'no', size: String(POINT_DIAMETER_PX), size_unit: 'Pixel',
  }, { fillColor: stroke.expression });
  // geometry: QgsWkbTypes::GeometryType (0 point, 1 line, 2 polygon).
  return `<renderer type="basic">
        <styles>
${[['polygons', 2, polygons], ['lines', 1, lines], ['points', 0, points]].map(([name, geometry, body]) => `          <style name="${String(name)}" layer="${MVT_LAYER}" geometry="${String(geometry)}" expression="" enabled="1" min-zoom="-1" max-zoom="-1">
            <symbols>
${String(body)}
            </symbols>
          </style>`).join('\n')}
        </styles>
      </renderer>`;
}

/** A colour as QGIS writes it, `r,g,b,a`. */
function rgba([r, g, b]: Rgb, alpha: number): string {
  return `${r},${g},${b},${alpha}`;
}

function colorExpression([r, g, b]: Rgb, alpha: number): string {
  return `color_rgba(${r},${g},${b},${alpha})`;
}

/**
 * A style's colour at one alpha: fixed for one colour, else an expression of the column (the fixed
 * colour is then what QGIS shows where the expression cannot be evaluated, such as the legend).
 */
function colorOf(style: FeatureStyle, alpha: number): { fixed: string; expression: string | null } {
  if (style.kind === 'single') return { fixed: rgba(style.color, alpha), expression: null };
  const field = quoteField(style.column);
  const missing = colorExpression(NULL_COLOR, alpha);
  if (style.kind === 'numeric') {
    const [low, high] = style.domain;
    // As colorOf: the value as a number (text that is none has the missing colour), its place on
    // the ramp (0.5 when the domain is one value), clamped to [0, 1].
    const place = high === low ? '0.5' : `(@v - (${low})) / (${high - low})`;
    // The ramp's evenly spaced stops, each segment interpolated as rampAt does.
    const stops = style.colors ?? RAMP;
    const segments = stops.length - 1;
    const cases = stops.slice(0, -1).map((from, index) => {
      const to = stops[index + 1] as Rgb;
      const local = `(@t * ${segments} - ${index})`;
      const channels = [0, 1, 2].map((channel) => `round(${from[channel] as number} + ${(to[channel] as number) - (from[channel] as number)} * ${local})`);
      return `WHEN @t <= ${(index + 1) / segments} THEN color_rgba(${channels.join(',')},${alpha})`;
    });
    const expression = `with_variable('v', try(to_real(${field})), with_variable('t', clamp(0, ${place}, 1), CASE WHEN @v IS NULL THEN ${missing} ${cases.join(' ')} END))`;
    return { fixed: rgba(rampAt(0.5, style.colors), alpha), expression };
  }
  const named = Math.min(style.categories.length, style.colors?.length ?? MAX_CATEGORIES);
  const cases = style.categories.slice(0, named).map((category, index) => `WHEN to_string(${field}) = ${quoteString(category)} THEN ${colorExpression(categoryColor(index, style.colors), alpha)}`);
  const other = colorExpression(categoryColor(-1, style.colors), alpha);
  const expression = `CASE WHEN ${field} IS NULL THEN ${missing} ${cases.join(' ')} ELSE ${other} END`;
  return { fixed: rgba(categoryColor(-1, style.colors), alpha), expression };
}

/** A symbol with its options and, where an expression is given, that property data-defined. */
function symbol(type: string, layerClass: string, options: Record<string, string>, defined: Record<string, string | null>): string {
  const option = (name: string, value: string): string => `<Option name="${xmlText(name)}" value="${xmlText(value)}" type="QString"/>`;
  const properties = Object.entries(defined).flatMap(([name, expression]) => (expression === null ? [] : [
    `<Option name="${name}" type="Map"><Option name="active" value="true" type="bool"/><Option name="expression" value="${xmlText(expression)}" type="QString"/><Option name="type" value="3" type="int"/></Option>`,
  ]));
  return `              <symbol name="0" type="${type}" alpha="1" clip_to_extent="1" force_rhr="0">
                <layer class="${layerClass}" enabled="1" locked="0" pass="0">
                  <Option type="Map">${Object.entries(options).map(([name, value]) => option(name, value)).join('')}</Option>
                  <data_defined_properties>
                    <Option type="Map"><Option name="name" value="" type="QString"/>${properties.length > 0 ? `<Option name="properties" type="Map">${properties.join('')}</Option>` : '<Option name="properties"/>'}<Option name="type" value="collection" type="QString"/></Option>
                  </data_defined_properties>
                </layer>
              </symbol>`;
}

/** A column name in a QGIS expression: double quotes, doubled inside. */
function quoteField(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal in a QGIS expression: single quotes, doubled inside. */
function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
