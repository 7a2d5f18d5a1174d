/** CARTO's palettes (data only, no types of its own): each name maps a palette size to its hex colours. */
declare module 'cartocolor' {
  const palettes: Record<string, Record<string, unknown>>;
  export = palettes;
}
