/**
 * The map's feature styles: the shared logic (src-shared/feature-style.ts) with CARTO's palettes
 * from the `cartocolor` package filled in.
 */

import * as cartoPalettes from 'cartocolor';
import { namedPalette as namedPaletteIn, styleFromVizConfig as styleFromVizConfigWith, type FeatureStyle, type Rgb } from '../../../src-shared/feature-style.js';

export * from '../../../src-shared/feature-style.js';

/** A CARTO palette by name, in the size deck.gl's accessors take (see the shared module). */
export function namedPalette(name: unknown, entries: number): Rgb[] | undefined {
  return namedPaletteIn(cartoPalettes, name, entries);
}

/** The style `fused:vizConfig`'s vector layer asks for, or null (see the shared module). */
export function styleFromVizConfig(vizConfig: Record<string, unknown> | null): FeatureStyle | null {
  return styleFromVizConfigWith(vizConfig, cartoPalettes);
}
