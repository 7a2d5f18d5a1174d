import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

// The window is built into dist-renderer/ and served by the engine at `/`; everything is bundled,
// so it works offline.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('../dist-renderer', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1_000,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        // The editor's and the map's libraries in chunks of their own: they load in parallel with
        // the window's code, and a change to the window leaves them cached.
        manualChunks(id: string): string | undefined {
          if (/node_modules\/(@codemirror|@lezer|crelt|style-mod|w3c-keyname)\//.test(id)) return 'editor';
          if (/node_modules\/leaflet\//.test(id)) return 'map';
          return undefined;
        },
      },
    },
  },
});
