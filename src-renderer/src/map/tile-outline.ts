/**
 * The vertices of a coastline or border worth drawing into one canvas tile.
 *
 * A run of vertices that all lie beyond one same side of the tile can never cross it: drawn as
 * its first and last vertex, the path leaves every pixel of the tile as it was, fill (even-odd or
 * non-zero) and stroke alike, since what it drops is a closed loop outside that side. At city
 * zooms a continent's outline is tens of thousands of vertices, nearly all beyond some side of
 * any one tile; without this, each tile sent all of them to the canvas.
 */

/** How far beyond the tile a vertex still counts as on it: room for the stroke. */
const MARGIN = 2;

/**
 * The points of a path (x, y pairs, taken to the tile's pixels as `x * scale - left` and
 * `y * scale - top`) that change a tile of `size` pixels: runs beyond one side become their first
 * and last vertex, and a vertex within half a pixel of the last one kept is dropped (the first and
 * last vertices of the path always stay).
 */
export function tileOutline(points: ArrayLike<number>, scale: number, left: number, top: number, size: number): number[] {
  const kept: number[] = [];
  const count = points.length;
  let runSides = 0;
  let heldX = NaN;
  let heldY = NaN;
  for (let index = 0; index < count; index += 2) {
    const x = (points[index] as number) * scale - left;
    const y = (points[index + 1] as number) * scale - top;
    const sides = (x < -MARGIN ? 1 : x > size + MARGIN ? 2 : 0) | (y < -MARGIN ? 4 : y > size + MARGIN ? 8 : 0);
    if (index > 0 && (runSides & sides) !== 0) {
      runSides &= sides;
      heldX = x;
      heldY = y;
      continue;
    }
    if (!Number.isNaN(heldX)) kept.push(heldX, heldY);
    heldX = NaN;
    runSides = sides;
    const last = kept.length;
    if (last > 0 && index < count - 2 && Math.abs(x - (kept[last - 2] as number)) < 0.5 && Math.abs(y - (kept[last - 1] as number)) < 0.5) continue;
    kept.push(x, y);
  }
  if (!Number.isNaN(heldX)) kept.push(heldX, heldY);
  return kept;
}
