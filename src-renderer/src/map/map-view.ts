/**
 * What the map shows at a moment: its bounds and zoom (the Export dialog's default area).
 */

export interface MapView {
  /** [west, south, east, north] in degrees. */
  bounds: [number, number, number, number];
  zoom: number;
}
