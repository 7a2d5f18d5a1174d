/**
 * Basemaps: the bundled world (country outlines from Natural Earth's public-domain 1:110m data,
 * simplified; no network) and, when the user switches to it, OpenStreetMap's online tiles.
 */

import L from 'leaflet';
import world from './world-land.json';

export type BasemapKind = 'world' | 'osm';

export function worldLayer(): L.Layer {
  return L.geoJSON(world as GeoJSON.FeatureCollection, {
    interactive: false,
    style: { color: '#b6c2cf', weight: 0.7, fillColor: '#eef1f4', fillOpacity: 1 },
    pane: 'basemap',
  });
}

export function osmLayer(): L.Layer {
  return L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
    maxZoom: 19,
    pane: 'basemap',
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">OpenStreetMap</a> contributors',
  });
}
