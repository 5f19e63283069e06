import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { intVar, loadConfig, portVar } from '@petal/service-kit';
import { repoRootAbove } from '@petal/stack/repo-root';
import { z } from 'zod';

/** SageMaker mounts the model artifact here inside the inference container. */
export const SAGEMAKER_MODEL_DIR = '/opt/ml/model';

const repoRoot = repoRootAbove(import.meta.dirname);
/** `<repo>/models/flower-classifier` in a checkout; outside one (an image) only MODEL_DIR or SageMaker's mount. */
export const LOCAL_DEFAULT_MODEL_DIR = repoRoot ? join(repoRoot, 'models', 'flower-classifier') : SAGEMAKER_MODEL_DIR;

const schema = z.object({
  SAGEMAKER_BIND_TO_PORT: z.string().optional(),
  PORT: portVar(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  MODEL_DIR: z.string().min(1).optional(),
  ENDPOINT_NAME: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'must be a SageMaker endpoint name').max(63).default('image-classifier'),
  /** Bytes; SageMaker real-time inference accepts at most 6 MB per request. */
  MAX_PAYLOAD_BYTES: intVar(6 * 1024 * 1024),
  MAX_QUEUE: intVar(64),
  /**
   * Most images in one model call. ONNX Runtime's run blocks the event loop, so while a batch runs no
   * upload is read and no decode is started; four keep that stall short and still batch. Measured with
   * `npm run bench -- peer` (same runs, 16 clients), 4 against 8: 249 / 230 and 240.7 / 226.6 req/s with
   * p99 172 / 247 and 186 / 254 ms on the data set's photo, 162.4 / 151.6 req/s (p99 235 / 293 ms) on a
   * 1024×768 upload. Two gave 234.1 req/s, one 211.7. A JSON request with more instances runs whole.
   */
  MAX_BATCH: intVar(4),
  BATCH_WINDOW_MS: intVar(0, 0),
  /**
   * Model calls at once. One: a photo now decodes in about 1 ms against ONNX Runtime's 3, so a second
   * call running beside it mostly takes a core from ONNX Runtime's two threads. Measured with
   * `npm run bench -- peer` (same run, 16 clients): 233.6 against 213.5 req/s on the data set's photo and
   * 166.1 against 143.2 on a 1024×768 upload, with equal latency one at a time. (Two paid when sharp
   * took 3 ms a photo.)
   */
  INFERENCE_CONCURRENCY: intVar(1),
  /** A request still queued after this long is answered 503 instead of waiting on. */
  QUEUE_TIMEOUT_MS: intVar(30_000),
  MAX_INSTANCES: intVar(16),
  /** Decoded-pixel limit per image (decompression-bomb guard); 0 keeps the model runtime's default. */
  MAX_INPUT_PIXELS: intVar(0, 0),
  /** Decoded pixels all images of one JSON batch may hold together (header-checked before decoding). */
  MAX_REQUEST_PIXELS: intVar(100_000_000),
  /** ONNX Runtime intra-op threads per model call; 0 lets the runtime choose (all cores). */
  INFERENCE_THREADS: intVar(0, 0),
  /**
   * ONNX Runtime's threads spin-wait between the operators of one model call (1) or sleep (0). They stop
   * spinning when the call returns either way. On the 2-core dev VM spinning took the sequential median
   * from 11.8 to 10.2 ms (`npm run bench -- peer`, one run), as waking a sleeping thread costs tens of
   * microseconds here, about a hundred times per pass, at about the same req/s under load.
   */
  INFERENCE_SPINNING: z.enum(['0', '1']).default('1'),
  /** V8's old-generation growth past the surviving heap, in percent (heap-tuning.ts); 0: V8 decides. */
  HEAP_GROWING_PERCENT: intVar(200, 0),
  // Long enough that guessing is hopeless; the same floor as the console's admin token.
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * The registry's identity for the model at MODEL_DIR (group and version). On SageMaker the container
   * loads the registered model.tar.gz as it is, so the deployer passes these to name the registered
   * version in /models and every answer.
   */
  PETAL_MODEL_NAME: z.string().min(1).optional(),
  PETAL_MODEL_VERSION: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT_MS: intVar(30_000),
  AWS_ACCOUNT_ID: z.string().regex(/^\d{12}$/).default('000000000000'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

export interface EndpointConfig {
  port: number;
  host: string;
  modelDir: string;
  endpointName: string;
  maxPayloadBytes: number;
  maxQueue: number;
  maxBatch: number;
  batchWindowMs: number;
  inferenceConcurrency: number;
  queueTimeoutMs: number;
  maxInstances: number;
  maxInputPixels: number | undefined;
  maxRequestPixels?: number;
  inferenceThreads: number | undefined;
  /** ONNX Runtime threads spin-wait within a model call instead of sleeping between operators. */
  inferenceSpinning?: boolean;
  /** V8's old-generation growth factor as a percentage over 1 (0: V8's own), set once at start (heap-tuning.ts). */
  heapGrowingPercent?: number;
  adminToken: string | undefined;
  /** Overrides the manifest's name/version for the model loaded from `modelDir` (not for later swaps). */
  modelIdentity?: { name?: string; version?: string } | undefined;
  shutdownTimeoutMs: number;
  accountId: string;
  region: string;
}

/** Where the model comes from: MODEL_DIR, else SageMaker's mount, else (locally) the shipped model. */
export function defaultModelDir(explicit: string | undefined, exists: (p: string) => boolean = existsSync): string {
  if (explicit) return resolve(explicit);
  return exists(SAGEMAKER_MODEL_DIR) ? SAGEMAKER_MODEL_DIR : LOCAL_DEFAULT_MODEL_DIR;
}

export function loadEndpointConfig(env: NodeJS.ProcessEnv = process.env): EndpointConfig {
  const c = loadConfig(schema, env);
  // SageMaker tells the container its port with SAGEMAKER_BIND_TO_PORT; it wins over PORT.
  const port = c.SAGEMAKER_BIND_TO_PORT === undefined ? c.PORT : loadConfig(z.object({ SAGEMAKER_BIND_TO_PORT: portVar(8080) }), env).SAGEMAKER_BIND_TO_PORT;
  return {
    port,
    host: c.HOST,
    modelDir: defaultModelDir(c.MODEL_DIR),
    endpointName: c.ENDPOINT_NAME,
    maxPayloadBytes: c.MAX_PAYLOAD_BYTES,
    maxQueue: c.MAX_QUEUE,
    maxBatch: c.MAX_BATCH,
    batchWindowMs: c.BATCH_WINDOW_MS,
    inferenceConcurrency: c.INFERENCE_CONCURRENCY,
    queueTimeoutMs: c.QUEUE_TIMEOUT_MS,
    maxInstances: c.MAX_INSTANCES,
    maxInputPixels: c.MAX_INPUT_PIXELS || undefined,
    maxRequestPixels: c.MAX_REQUEST_PIXELS,
    inferenceThreads: c.INFERENCE_THREADS || undefined,
    inferenceSpinning: c.INFERENCE_SPINNING === '1',
    heapGrowingPercent: c.HEAP_GROWING_PERCENT,
    adminToken: c.ADMIN_TOKEN,
    modelIdentity:
      c.PETAL_MODEL_NAME || c.PETAL_MODEL_VERSION
        ? { ...(c.PETAL_MODEL_NAME ? { name: c.PETAL_MODEL_NAME } : {}), ...(c.PETAL_MODEL_VERSION ? { version: c.PETAL_MODEL_VERSION } : {}) }
        : undefined,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    accountId: c.AWS_ACCOUNT_ID,
    region: c.AWS_REGION,
  };
}
