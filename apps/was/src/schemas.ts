import { LANGUAGES } from '@petal/catalog';
import {
  classifyAnswerSchema,
  errorBodySchema,
  flowerAnswerSchema,
  flowersAnswerSchema,
  healthBodySchema,
  jsonSchemaOf,
  wasReadinessSchema,
} from '@petal/contracts';

// Fastify serializes responses with these JSON schemas and @fastify/swagger turns them into the OpenAPI
// document. All are derived from @petal/contracts, the zod schemas the web tier validates against, so
// the server, its documentation and its clients cannot drift apart.

export const errorSchema = jsonSchemaOf(errorBodySchema, { id: 'Error' });

const errorRef = { $ref: 'Error#' } as const;

export const langQuery = {
  type: 'object',
  properties: { lang: { type: 'string', enum: [...LANGUAGES], description: 'Response language; overrides Accept-Language' } },
  additionalProperties: false,
} as const;

export const classifyResponse = jsonSchemaOf(classifyAnswerSchema);

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

export const flowersResponse = jsonSchemaOf(flowersAnswerSchema);

export const flowerResponse = jsonSchemaOf(flowerAnswerSchema);

export const flowerParams = {
  type: 'object',
  required: ['no'],
  properties: { no: { type: 'integer', description: 'Class id' } },
} as const;

export const healthResponse = jsonSchemaOf(healthBodySchema);

export const readyResponse = jsonSchemaOf(wasReadinessSchema);

export { errorRef };
