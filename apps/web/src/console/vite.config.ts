import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import { precompress } from '../../scripts/vite-plugins.js';

const bff = process.env.WEB_BFF_URL ?? 'http://127.0.0.1:8000';

// The console is a build of its own, after the classifier's (`npm run build -w @petal/web` runs both):
// the classifier's bundle stays exactly what it was, and its page never loads console code. Rooted at
// src/ so the page lands at dist/client/console/index.html (served at /console/), its hashed files
// beside the classifier's in dist/client/assets.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  base: '/',
  publicDir: false,
  // precompress: the .br/.gz copies the server picks from, as for the classifier's files.
  plugins: [react(), precompress()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('../../dist/client', import.meta.url)),
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    rollupOptions: { input: { console: fileURLToPath(new URL('./index.html', import.meta.url)) } },
  },
  // Dev: `npx vite -c apps/web/src/console/vite.config.ts`, with the BFF on WEB_BFF_URL, then open /console/.
  server: {
    host: '127.0.0.1',
    port: Number(process.env.CONSOLE_DEV_PORT ?? 5174),
    proxy: { '/api': { target: bff, changeOrigin: false }, '/favicon.svg': { target: bff, changeOrigin: false } },
  },
});
