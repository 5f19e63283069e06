/**
 * A child process for the concurrency test: registers `count` versions in the local registry of the store
 * PETAL_STORE names, printing each version number it got, one a line. It waits until START_AT (epoch ms),
 * so workers started one after another really register at the same moment.
 *
 *   START_AT=<ms> node --conditions=source --import tsx register-worker.ts <count>
 */
import { openRegistry } from '../open-registry.js';
import { samplePackage } from './sample.js';

const registry = openRegistry();
await new Promise((ok) => setTimeout(ok, Math.max(0, Number(process.env.START_AT ?? 0) - Date.now())));
for (let i = 0; i < Number(process.argv[2] ?? '1'); i++) {
  const pkg = await registry.register(samplePackage({ description: `from pid ${process.pid}` }));
  process.stdout.write(`${pkg.version}\n`);
}
