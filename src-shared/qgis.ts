/**
 * "Open in QGIS" as the route (`POST /api/udfs/{name}/qgis`), the window and the CLI see it.
 */

/** What the engine made: the layer file, the token its URL carries, and whether QGIS opened it. */
export interface QgisLayerAnswer {
  /** The `.qlr` file written. */
  file: string;
  kind: 'raster' | 'vector';
  /** The shared token made for the layer (listed in Tokens, revocable there). */
  token: string;
  /** The layer's tile URL (`{z}/{x}/{y}`), with the UDF's parameters in its query. */
  tileUrl: string;
  /** QGIS was started with the file. */
  opened: boolean;
  /** Why QGIS was not started: not installed, or it could not run. */
  notOpened: string | null;
}

/** How to open a saved layer file by hand. */
export const QGIS_HOW_TO_OPEN = 'In QGIS: Layer > Add Layer > Add from Layer Definition File... and choose it, or drag the file onto the map.';
