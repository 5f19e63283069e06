/**
 * The floor under "what each tier adds", for `npm run bench -- load`: the same three-process topology with
 * each product tier replaced by a bare relay (bench/floor/bare-relay.ts), measured in turns with the real
 * stack in one run. Whatever Petal's web and WAS tiers cost above these relays is theirs to remove; what the
 * relays cost is the price of two more processes and, for the invoke chain, of the AWS SDK call that the
 * topology requires on this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { shuffleInPlace } from '@petal/model/rng';
import { REPO_ROOT } from '@petal/stack';
import { median } from './stats.js';
import type { BenchCell, BenchSection } from './types.js';

const RELAY = fileURLToPath(new URL('./floor/bare-relay.ts', import.meta.url));

export interface FloorTarget {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface Relay {
  url: string;
  child: ChildProcess;
}

function startRelay(mode: 'bytes' | 'invoke', upstream: string): Promise<Relay> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', RELAY, mode, upstream], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare relay (${mode}) did not listen within 30 s:\n${out}`)), 30_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare relay (${mode}) exited with ${code}:\n${out}`));
    });
  });
}

function stopRelay({ child }: Relay): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * `direct` is a call to the endpoint's /invocations with the raw photo; `web` the same photo through Petal's
 * web tier (multipart). The bare chains are started here against `endpointUrl`.
 */
export async function topologyFloor(
  endpointUrl: string,
  targets: { direct: FloorTarget; web: FloorTarget },
  { rounds = 300, warmup = 30 } = {},
): Promise<BenchSection> {
  const relays: Relay[] = [];
  const relay = async (mode: 'bytes' | 'invoke', upstream: string) => {
    const started = await startRelay(mode, upstream);
    relays.push(started);
    return started.url;
  };
  try {
    const bytesChain = await relay('bytes', await relay('bytes', endpointUrl));
    const invokeChain = await relay('bytes', await relay('invoke', endpointUrl));
    const paths = [
      { path: 'client → endpoint', target: targets.direct },
      { path: 'client → bare → bare → endpoint', target: { ...targets.direct, url: targets.direct.url.replace(endpointUrl, bytesChain) } },
      { path: 'client → bare → bare SDK → endpoint', target: { ...targets.web, url: `${invokeChain}/classify/image` } },
      { path: 'client → web → WAS → endpoint', target: targets.web },
    ];
    const times = paths.map(() => [] as number[]);
    for (let round = 0; round < warmup + rounds; round++) {
      // A new order every round: which process ran just before (and so what is left in the caches) is the same
      // for every path on average.
      const order = shuffleInPlace(paths.map((_, i) => i), Math.random);
      for (const i of order) {
        const { url, headers, body } = paths[i]!.target;
        const t0 = performance.now();
        const res = await fetch(url, { method: 'POST', headers, body });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${paths[i]!.path} answered ${res.status}`);
        if (round >= warmup) times[i]!.push(performance.now() - t0);
      }
    }
    const direct = median(times[0]!);
    const rows: Array<Record<string, BenchCell>> = paths.map(({ path }, i) => {
      const m = median(times[i]!);
      return { path, median_ms: Number(m.toFixed(2)), added_ms: Number((m - direct).toFixed(2)), ratio_to_direct: Number((m / direct).toFixed(2)) };
    });
    return {
      title: 'load: the floor of this topology on this machine (bare relays in place of web and WAS, sequential, interleaved)',
      rows,
      notes: [
        `${rounds} rounds after ${warmup} warm-up, the four paths in a new random order each round, fetch (keep-alive) from this process.`,
        'bare: node:http in, the body relayed as it came over a kept-alive connection, the answer back as it came; no framework, limits, checks, logs or metrics.',
        'bare SDK: node:http in, the file read from the multipart upload (@fastify/busboy), then the WAS’s own EndpointClient (AWS SDK InvokeEndpoint, SigV4) and the answer as JSON.',
        'Paths taken in turns of four leave each process idle longer than the three-path table above does, so ratios here run higher; compare rows within this table.',
      ],
    };
  } finally {
    await Promise.all(relays.map(stopRelay));
  }
}
