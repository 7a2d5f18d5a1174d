/**
 * Reading the map's tiles from the page: which code version each visible tile shows, and what its
 * pixels are (how many are painted, and a checksum to tell two paintings apart).
 */

import type { Page } from 'playwright-core';

export interface TilePixels {
  version: string;
  painted: number;
  checksum: number;
}

export function readTiles(page: Page): Promise<TilePixels[]> {
  return page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.udf-tile')]
    .filter((tile) => tile.dataset.version && !tile.classList.contains('udf-tile-error'))
    .map((tile) => {
      const canvas = tile.querySelector('canvas') as HTMLCanvasElement;
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      let checksum = 0;
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i + 3] as number) > 0) painted++;
        checksum = (checksum * 31 + (data[i] as number) + (data[i + 1] as number) * 3 + (data[i + 2] as number) * 7 + (data[i + 3] as number) * 11) >>> 0;
      }
      return { version: tile.dataset.version as string, painted, checksum };
    }));
}
