/**
 * A QGIS layer definition file (`.qlr`) for a tile URL: an XYZ raster layer (QGIS's `wms` provider
 * with `type=xyz`) or a vector tile layer (its `vectortile` provider), in the shape QGIS 3.22
 * writes with `QgsLayerDefinition.exportLayerDefinition`, trimmed to what it needs to read one back:
 * the layer tree entry, the data source, Web Mercator, the renderer and the layer's description.
 */

import { randomUUID } from 'node:crypto';
import { singleStyle, type FeatureStyle } from '../../../src-shared/feature-style.js';
import { vectorTileRenderer } from './vector-tile-style.js';
import { xmlText } from './xml.js';

export type TileLayerKind = 'raster' | 'vector';

export interface LayerFileSpec {
  /** The layer's name in QGIS's layer panel. */
  name: string;
  kind: TileLayerKind;
  /** The tile URL with `{z}`, `{x}` and `{y}`, its query included. */
  tileUrl: string;
  minZoom: number;
  maxZoom: number;
  /** Vector layers: how features are coloured (null: one colour, as the map's default). */
  style: FeatureStyle | null;
  /** The layer's description (QGIS shows it in the layer's properties). */
  abstract: string;
}

/** The data source QGIS keeps for an XYZ layer: its URI, with the tile URL as one parameter. */
export function qgisDataSource(tileUrl: string, minZoom: number, maxZoom: number): string {
  return `type=xyz&url=${encodeUriParameter(tileUrl)}&zmax=${maxZoom}&zmin=${minZoom}`;
}

/**
 * The tile URL as a value of QGIS's URI: percent-encoded as a component (QGIS decodes it once,
 * so a `%` of the URL's own query must arrive as `%25`), keeping `:`, `/` and `?` readable as QGIS
 * itself writes them.
 */
function encodeUriParameter(url: string): string {
  return encodeURIComponent(url).replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%3F/g, '?');
}

export function layerDefinition(spec: LayerFileSpec): string {
  const id = `${spec.name.replace(/[^A-Za-z0-9_]/g, '_')}_${randomUUID().replace(/-/g, '_')}`;
  const source = xmlText(qgisDataSource(spec.tileUrl, spec.minZoom, spec.maxZoom));
  const provider = spec.kind === 'raster' ? 'wms' : 'vectortile';
  const name = xmlText(spec.name);
  return `<!DOCTYPE qgis-layer-definition>
<qlr>
  <layer-tree-group name="" expanded="1" checked="Qt::Checked">
    <customproperties/>
    <layer-tree-layer name="${name}" id="${id}" source="${source}" providerKey="${provider}" expanded="1" checked="Qt::Checked" legend_exp="">
      <customproperties/>
    </layer-tree-layer>
  </layer-tree-group>
  <maplayers>
    <maplayer type="${spec.kind === 'raster' ? 'raster' : 'vector-tile'}" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="1e+08" maxScale="0" autoRefreshEnabled="0" autoRefreshTime="0" refreshOnNotifyEnabled="0" refreshOnNotifyMessage="">
      <id>${id}</id>
      <datasource>${source}</datasource>
      <layername>${name}</layername>
      <srs>
        <spatialrefsys>
          <proj4>+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs</proj4>
          <srid>3857</srid>
          <authid>EPSG:3857</authid>
          <description>WGS 84 / Pseudo-Mercator</description>
        </spatialrefsys>
      </srs>
      <resourceMetadata>
        <title>${name}</title>
        <abstract>${xmlText(spec.abstract)}</abstract>
      </resourceMetadata>
      <provider>${provider}</provider>
      ${spec.kind === 'raster' ? RASTER_PIPE : vectorTileRenderer(spec.style ?? singleStyle())}
      <blendMode>0</blendMode>
      <layerOpacity>1</layerOpacity>
    </maplayer>
  </maplayers>
</qlr>
`;
}

/** Tiles drawn as they come (RGB or RGBA PNGs), sampled by nearest neighbour as QGIS's default. */
const RASTER_PIPE = `<pipe>
        <rasterrenderer type="singlebandcolordata" band="1" opacity="1" alphaBand="-1" nodataColor="">
          <rasterTransparency/>
        </rasterrenderer>
        <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
        <huesaturation saturation="0" grayscaleMode="0" invertColors="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100"/>
        <rasterresampler maxOversampling="2"/>
        <resamplingStage>resamplingFilter</resamplingStage>
      </pipe>`;
