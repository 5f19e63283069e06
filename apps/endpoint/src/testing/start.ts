import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, hasModelAt } from '@petal/stack';
import type { EndpointConfig } from '../config.js';
import { LOCAL_DEFAULT_MODEL_DIR } from '../config.js';
import { buildEndpoint, type Endpoint, type EndpointDeps } from '../server.js';

export { DATA_DIR } from '@petal/stack';
/** The real model the contract tests serve: PETAL_MODEL_DIR, else the shipped one. */
export const MODEL_DIR = process.env.PETAL_MODEL_DIR ?? LOCAL_DEFAULT_MODEL_DIR;

export const hasModel = hasModelAt(MODEL_DIR);
export const hasData = existsSync(DATA_DIR);
export const SKIP_MODEL_REASON = `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`;
export const SKIP_DATA_REASON = `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`;

export function testConfig(overrides: Partial<EndpointConfig> = {}): EndpointConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    modelDir: MODEL_DIR,
    endpointName: 'image-classifier',
    maxPayloadBytes: 6 * 1024 * 1024,
    maxQueue: 64,
    maxBatch: 8,
    batchWindowMs: 0,
    inferenceConcurrency: 1,
    queueTimeoutMs: 30_000,
    maxInstances: 16,
    maxInputPixels: undefined,
    inferenceThreads: undefined,
    adminToken: undefined,
    shutdownTimeoutMs: 10_000,
    accountId: '123456789012',
    region: 'us-east-1',
    ...overrides,
  };
}

export interface Running {
  url: string;
  endpoint: Endpoint;
  close(): Promise<void>;
}

/** A real endpoint listening on a random loopback port, model loaded and warmed. */
export async function startEndpoint(overrides: Partial<EndpointConfig> = {}, deps: EndpointDeps = {}): Promise<Running> {
  const endpoint = buildEndpoint(testConfig(overrides), { fastify: { logger: false }, ...deps });
  await endpoint.app.listen({ port: 0, host: '127.0.0.1' });
  await endpoint.loadInitialModel();
  const address = endpoint.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    endpoint,
    close: async () => {
      await endpoint.app.close();
      await endpoint.shutdown();
    },
  };
}

/** A few photos per class from the data set, as { label, path }. */
export function samplePhotos(perClass: number): Array<{ label: string; path: string }> {
  return readdirSync(DATA_DIR)
    .sort()
    .flatMap((label) =>
      readdirSync(join(DATA_DIR, label))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(-perClass)
        .map((f) => ({ label, path: join(DATA_DIR, label, f) })),
    );
}
