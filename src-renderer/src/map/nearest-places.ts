/**
 * Where the offline basemap has no place inside the view (street zooms: a town's point is rarely in
 * a view a kilometre wide), the nearest places are named at the view's edge, each in its direction
 * with its distance ("↗ Paris · 4.2 km"), so the map still says where it is.
 *
 * Pure geometry on plain numbers, so it is tested without a map.
 */

export interface PlacePoint {
  name: string;
  lon: number;
  lat: number;
  population: number;
}

/** A rectangle in view pixels that labels keep out of (the map's buttons and panels). */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A view in pixels (width, height) with its centre's position and the pixel of each place. */
export interface View {
  width: number;
  height: number;
  center: { lon: number; lat: number };
  /** A place's position in the view's pixels (may lie outside it). */
  pixelOf: (place: PlacePoint) => { x: number; y: number };
  /** What covers the map's edges: a label is slid along its edge out of these. */
  avoid?: readonly Box[];
}

export interface EdgeLabel {
  place: PlacePoint;
  text: string;
  /** Where the label is anchored, in view pixels, and which edge it sits on. */
  x: number;
  y: number;
  edge: 'top' | 'right' | 'bottom' | 'left';
}

/** Room kept free along each edge, for the scale and the credit below. */
export const EDGE_INSET = { top: 14, right: 14, bottom: 40, left: 14 };
/** A label's size, as estimated before it is drawn: its height, and its width per character. */
const LABEL_HEIGHT = 22;
const CHAR_WIDTH = 7;
/** Places farther than this are not named: a direction over a long way says little. */
const MAX_KM = 150;
/** Half a long label's width: how far a top or bottom label's centre stays from a corner. */
const CORNER = 85;
const ARROWS = ['→', '↗', '↑', '↖', '←', '↙', '↓', '↘'];

/** Great-circle distance in km. */
export function distanceKm(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function formatKm(km: number): string {
  return km < 10 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`;
}

/** The arrow pointing from the centre towards a pixel offset (screen y grows downwards). */
export function arrowFor(dx: number, dy: number): string {
  const angle = Math.atan2(-dy, dx);
  const sector = Math.round(angle / (Math.PI / 4));
  return ARROWS[(sector + 8) % 8] as string;
}

/**
 * How near a place is for naming: its distance, shortened for bigger places (by the fourth root of
 * the population), so a city 4 km away is named before a suburb 3.5 km away, and a town nearby
 * before a city far off.
 */
function nearness(km: number, population: number): number {
  return km / Math.max(1, population) ** 0.25;
}

/**
 * The labels for the `count` nearest places outside the view (nearest as `nearness` ranks them),
 * when fewer than `count` places lie inside it (else none): each on the inset rectangle where the
 * line from the centre to it leaves, slid along that edge out of what covers it.
 */
export function edgeLabels(places: readonly PlacePoint[], view: View, count = 3): EdgeLabel[] {
  const left = EDGE_INSET.left;
  const right = view.width - EDGE_INSET.right;
  const top = EDGE_INSET.top;
  const bottom = view.height - EDGE_INSET.bottom;
  if (right <= left || bottom <= top) return [];
  const outside: Array<{ place: PlacePoint; km: number; x: number; y: number }> = [];
  let inside = 0;
  for (const place of places) {
    const km = distanceKm(view.center, place);
    if (km > MAX_KM) continue;
    const { x, y } = view.pixelOf(place);
    if (x >= 0 && x <= view.width && y >= 0 && y <= view.height) inside++;
    else outside.push({ place, km, x, y });
  }
  if (inside >= count) return [];
  const cx = view.width / 2;
  const cy = view.height / 2;
  const labels = outside
    .sort((a, b) => nearness(a.km, a.place.population) - nearness(b.km, b.place.population))
    .slice(0, count - inside)
    .map(({ place, km, x, y }): EdgeLabel => {
      const dx = x - cx;
      const dy = y - cy;
      // How far along the ray from the centre it meets each side of the inset rectangle.
      const along = Math.min(dx > 0 ? (right - cx) / dx : dx < 0 ? (left - cx) / dx : Infinity, dy > 0 ? (bottom - cy) / dy : dy < 0 ? (top - cy) / dy : Infinity);
      const ex = cx + dx * along;
      const ey = cy + dy * along;
      const edge = Math.abs(ex - right) < 0.5 ? 'right' : Math.abs(ex - left) < 0.5 ? 'left' : Math.abs(ey - top) < 0.5 ? 'top' : 'bottom';
      // On the top or bottom edge a label is centred on its point: keep it clear of the corners.
      const anchorX = edge === 'top' || edge === 'bottom' ? Math.min(Math.max(ex, left + CORNER), Math.max(left + CORNER, right - CORNER)) : ex;
      return { place, text: `${arrowFor(dx, dy)} ${place.name} · ${formatKm(km)}`, x: anchorX, y: ey, edge };
    });
  const avoid = view.avoid ?? [];
  // A label that still lands under a button or panel is left out rather than shown half hidden.
  return separate(labels.map((label) => clear(label, avoid, { left, top, right, bottom })), cy)
    .filter((label) => !avoid.some((box) => overlaps(boxOf(label), box)));
}

/** The box a label takes, anchored as its edge says (the page draws it so). */
function boxOf(label: EdgeLabel): Box {
  const width = label.text.length * CHAR_WIDTH + 18;
  const half = LABEL_HEIGHT / 2;
  if (label.edge === 'right') return { left: label.x - width, top: label.y - half, right: label.x, bottom: label.y + half };
  if (label.edge === 'left') return { left: label.x, top: label.y - half, right: label.x + width, bottom: label.y + half };
  const left = label.x - width / 2;
  const top = label.edge === 'top' ? label.y : label.y - LABEL_HEIGHT;
  return { left, top, right: left + width, bottom: top + LABEL_HEIGHT };
}

const overlaps = (a: Box, b: Box): boolean => a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;

/**
 * Slides a label along its edge until it is clear of every box (a side label down or up, a top or
 * bottom label left or right, whichever way is shorter and stays inside), else leaves it.
 */
function clear(label: EdgeLabel, avoid: readonly Box[], inset: Box): EdgeLabel {
  const vertical = label.edge === 'left' || label.edge === 'right';
  const candidates: EdgeLabel[] = [label];
  const own = boxOf(label);
  const width = own.right - own.left;
  for (const box of avoid) {
    // Along the edge past the box, or in from the edge beside it.
    if (vertical) {
      candidates.push({ ...label, y: box.bottom + LABEL_HEIGHT / 2 + 4 }, { ...label, y: box.top - LABEL_HEIGHT / 2 - 4 });
      candidates.push({ ...label, x: label.edge === 'right' ? box.left - 4 : box.right + 4 });
    } else {
      candidates.push({ ...label, x: box.right + width / 2 + 4 }, { ...label, x: box.left - width / 2 - 4 });
      candidates.push({ ...label, y: label.edge === 'top' ? box.bottom + 4 : box.top - 4 });
    }
  }
  const inside = (candidate: EdgeLabel): boolean => {
    const box = boxOf(candidate);
    return box.left >= inset.left - 0.5 && box.right <= inset.right + 0.5 && box.top >= inset.top - 0.5 && box.bottom <= inset.bottom + 0.5;
  };
  const free = candidates
    .filter((candidate) => inside(candidate) && !avoid.some((box) => overlaps(boxOf(candidate), box)))
    .sort((a, b) => Math.hypot(a.x - label.x, a.y - label.y) - Math.hypot(b.x - label.x, b.y - label.y));
  return free[0] ?? label;
}

/** Labels closer than a line apart (and within a label's width) are moved apart, towards the middle. */
function separate(labels: EdgeLabel[], middle: number): EdgeLabel[] {
  const LINE = 28;
  const WIDTH = 170;
  const placed: EdgeLabel[] = [];
  for (const label of labels) {
    let moved = { ...label };
    for (let tries = 0; tries < labels.length && placed.some((other) => Math.abs(other.y - moved.y) < LINE && Math.abs(other.x - moved.x) < WIDTH); tries++) {
      moved = { ...moved, y: moved.y + (moved.y < middle ? LINE : -LINE) };
    }
    placed.push(moved);
  }
  return placed;
}
