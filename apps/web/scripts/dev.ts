// `npm run dev`: the BFF (restarted on change by tsx watch) plus Vite's dev server with hot reload,
// which forwards the API paths to the BFF so the browser still talks to one origin.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const bffPort = process.env.WEB_BFF_PORT ?? '8000';
process.env.WEB_BFF_URL ??= `http://127.0.0.1:${bffPort}`;

const bff = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--watch', 'src/server/main.ts'], {
  cwd: webRoot,
  stdio: 'inherit',
  env: { ...process.env, PORT: bffPort, HOST: '127.0.0.1', WAS_URL: process.env.WAS_URL ?? 'http://127.0.0.1:8081' },
});

const vite = await createServer({ configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)) });
await vite.listen();
vite.printUrls();
console.log(`BFF on ${process.env.WEB_BFF_URL} → WAS ${process.env.WAS_URL ?? 'http://127.0.0.1:8081'} (start the WAS and endpoint with \`npm start\` or on their own)`);

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  bff.kill('SIGTERM');
  await vite.close();
  process.exit(code);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
bff.once('exit', (code) => {
  if (!stopping) {
    console.error(`the BFF exited (${code}); stopping the dev server`);
    void stop(code ?? 1);
  }
});
