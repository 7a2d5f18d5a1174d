/** CARTO's palettes (data only, no types of its own): each name maps a palette size to its hex colours. Declared here, where the window and the engine both see it; src-shared itself never imports the package. */
declare module 'cartocolor' {
  const palettes: Record<string, Record<string, unknown>>;
  export = palettes;
}
