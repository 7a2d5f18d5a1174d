# A note

Markdown shown on the canvas, not code.
