import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import { inlineCss, precompress, serviceWorker } from './scripts/vite-plugins.js';

const bff = process.env.WEB_BFF_URL ?? 'http://127.0.0.1:8000';

// The UI builds to dist/client, which the BFF serves. In dev, Vite serves the UI with hot reload and
// forwards the API paths to the BFF (run by scripts/dev.ts), so the browser still sees one origin.
export default defineConfig({
  root: fileURLToPath(new URL('./src/client', import.meta.url)),
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  plugins: [react(), inlineCss(), serviceWorker(fileURLToPath(new URL('./scripts/sw-template.js', import.meta.url))), precompress()],
  // Workspace packages (the flower catalog) are bundled from their TypeScript sources.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('./dist/client', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Maps are written for whoever debugs a deploy, but the script does not point to them and the BFF
    // does not serve them (static-ui.ts): the source stays off the public site.
    sourcemap: 'hidden',
    // Everything is a file of its own: no inlined data: URLs that the CSP would have to allow for scripts.
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    proxy: Object.fromEntries(['/classify', '/flowers', '/api', '/health', '/metrics'].map((p) => [p, { target: bff, changeOrigin: false }])),
  },
  preview: { host: '127.0.0.1' },
});
