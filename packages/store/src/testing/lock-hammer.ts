/**
 * A child process for the lock tests: increments the counter object `counter.json` in the store named by
 * PETAL_STORE `iterations` times, each time read → pause → write under `withLock('counter')`. The pause
 * widens the read-modify-write window, so without the lock concurrent workers would lose updates.
 *
 *   node --conditions=source --import tsx lock-hammer.ts <iterations>
 */
import { z } from 'zod';
import { openStore } from '../open-store.js';

const counterSchema = z.object({ value: z.number().int(), writers: z.array(z.number()) });
const iterations = Number(process.argv[2] ?? '10');
const store = openStore();

for (let i = 0; i < iterations; i++) {
  await store.withLock('counter', async () => {
    const counter = (await store.readJson('counter.json', counterSchema)) ?? { value: 0, writers: [] };
    await new Promise((ok) => setTimeout(ok, Math.random() * 5));
    await store.writeJson('counter.json', { value: counter.value + 1, writers: [...counter.writers, process.pid] });
  });
}
