import { LANGUAGES } from '@petal/catalog';

// JSON schemas for the routes: Fastify validates and serializes with them, and @fastify/swagger turns
// them into the OpenAPI document, so the docs cannot drift from what the server does.

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
} as const;

const errorRef = { $ref: 'Error#' } as const;

export const langQuery = {
  type: 'object',
  properties: { lang: { type: 'string', enum: [...LANGUAGES], description: 'Response language; overrides Accept-Language' } },
  additionalProperties: false,
} as const;

const candidate = {
  type: 'object',
  required: ['no', 'key', 'name', 'probability'],
  properties: {
    no: { type: 'integer', description: 'Class id (0–15), -1 for a label the catalog does not know' },
    key: { type: 'string' },
    name: { type: 'string' },
    probability: { type: 'number' },
  },
} as const;

export const classifyResponse = {
  type: 'object',
  required: ['result', 'top', 'model', 'lang', 'elapsedMs', 'confident'],
  properties: {
    result: {
      type: 'object',
      description: 'The reference API shape. When not confident, `name` says so and `no` is the closest candidate.',
      required: ['no', 'name', 'acc', 'description'],
      properties: {
        no: { type: 'integer' },
        name: { type: 'string' },
        acc: { type: 'number', description: 'Probability of the top class' },
        description: { type: 'string' },
      },
    },
    top: { type: 'array', items: candidate, maxItems: 3 },
    model: { type: 'object', required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'string' } } },
    lang: { type: 'string', enum: [...LANGUAGES] },
    elapsedMs: { type: 'number' },
    confident: { type: 'boolean', description: 'False when the top probability is under CONFIDENCE_THRESHOLD' },
  },
} as const;

export const classifyErrors = {
  400: { ...errorRef, description: 'No file in field `file`, more than one file, or an empty file' },
  413: { ...errorRef, description: 'The image is larger than MAX_UPLOAD_BYTES (6 MB)' },
  415: { ...errorRef, description: 'Not multipart, or the bytes are not a supported image' },
  422: { ...errorRef, description: 'The model endpoint could not read the image' },
  429: { ...errorRef, description: 'Rate limit exceeded' },
  502: { ...errorRef, description: 'The model endpoint failed or answered nonsense' },
  503: { ...errorRef, description: 'The model endpoint is unavailable (Retry-After says when to try again)' },
  504: { ...errorRef, description: 'The model endpoint did not answer in time' },
} as const;

/** Documents the multipart body in OpenAPI; the handler reads the stream itself, so Fastify must not validate it. */
export const classifyBodyDoc = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'One image (JPEG, PNG, WebP, GIF, AVIF or TIFF), at most 6 MB' } },
} as const;

const flower = {
  type: 'object',
  required: ['no', 'key', 'name', 'description'],
  properties: { no: { type: 'integer' }, key: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' } },
} as const;

export const flowersResponse = {
  type: 'object',
  required: ['lang', 'flowers'],
  properties: { lang: { type: 'string', enum: [...LANGUAGES] }, flowers: { type: 'array', items: flower } },
} as const;

export const flowerResponse = {
  type: 'object',
  required: ['lang', 'flower'],
  properties: { lang: { type: 'string', enum: [...LANGUAGES] }, flower },
} as const;

export const flowerParams = {
  type: 'object',
  required: ['no'],
  properties: { no: { type: 'integer', description: 'Class id' } },
} as const;

export const healthResponse = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } },
} as const;

export const readyResponse = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      properties: {
        circuit: { type: 'string', enum: ['closed', 'half-open', 'open'] },
        endpoint: { type: 'string', description: "'reachable', 'unreachable', or 'not_checked' on AWS (no ping in sagemaker-runtime)" },
      },
    },
    model: {
      type: 'object',
      description: 'The model that answered the most recent classification (absent before the first one)',
      properties: { name: { type: 'string' }, version: { type: 'string' } },
    },
  },
} as const;

export { errorRef };
