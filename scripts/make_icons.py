"""Draws the app icon at every size the packagers and the tray use, into resources/icons/.

Run with the runtime's Python (it has Pillow): `npm run icons`. The PNGs are committed; rerun this
only when the design changes. Each size is drawn large and scaled down, so small sizes stay crisp.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
CANVAS = 1024
BACKGROUND_TOP = (19, 78, 74)
BACKGROUND_BOTTOM = (13, 148, 136)
TILE = (240, 253, 250, 235)
ROUTE = (245, 158, 11, 255)
# The cells of the 3x3 tile grid that the amber route crosses (column, row).
ROUTE_CELLS = ((0, 2), (1, 2), (1, 1), (2, 1), (2, 0))


def draw_icon() -> Image.Image:
    """A rounded teal square with a 3x3 map-tile grid and an amber route across it."""
    gradient = Image.new("RGBA", (CANVAS, CANVAS))
    pixels = ImageDraw.Draw(gradient)
    for y in range(CANVAS):
        t = y / (CANVAS - 1)
        pairs = zip(BACKGROUND_TOP, BACKGROUND_BOTTOM, strict=True)
        color = tuple(round(a + (b - a) * t) for a, b in pairs)
        pixels.line([(0, y), (CANVAS, y)], fill=(*color, 255))
    mask = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, CANVAS - 40, CANVAS - 40), radius=200, fill=255)
    icon = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)

    draw = ImageDraw.Draw(icon)
    margin, gap = 200, 36
    cell = (CANVAS - 2 * margin - 2 * gap) // 3
    for column in range(3):
        for row in range(3):
            left = margin + column * (cell + gap)
            top = margin + row * (cell + gap)
            fill = ROUTE if (column, row) in ROUTE_CELLS else TILE
            draw.rounded_rectangle((left, top, left + cell, top + cell), radius=36, fill=fill)
    return icon


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    icon = draw_icon()
    for size in SIZES:
        scaled = icon.resize((size, size), Image.Resampling.LANCZOS)
        scaled.save(out_dir / f"{size}x{size}.png", optimize=True)


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "resources" / "icons"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
