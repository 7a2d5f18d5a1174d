/** Where `serve` listens unless the settings or a flag say otherwise. */

export const DEFAULT_PORT = 8765;
export const DEFAULT_HOST = '127.0.0.1';
