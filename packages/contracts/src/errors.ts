/**
 * The error catalog: every code a Petal service can answer with, its HTTP status and its default message,
 * declared once per boundary (the idea of Fastify's `createError(code, message, status)`). Services throw
 * from these entries (`@petal/service-kit`'s `createErrors`), clients map them to what they show, and a
 * type error appears wherever a code is used that the catalog does not have.
 *
 * This module imports nothing, so the browser bundle can use it without pulling in zod.
 */

export interface ErrorSpec {
  readonly status: number;
  /** Used when the thrower has nothing more specific to say; written for the caller, safe to show. */
  readonly message: string;
}

export type ErrorCatalog = Readonly<Record<string, ErrorSpec>>;

const defineErrors = <const T extends ErrorCatalog>(errors: T): T => errors;

/**
 * What any Petal HTTP service may answer, whatever its routes: most of these come from the framework or
 * from Node's HTTP parser, and each service's error handler maps them to these codes.
 */
export const COMMON_ERRORS = defineErrors({
  BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  INVALID_JSON: { status: 400, message: 'the body is not valid JSON' },
  VALIDATION_ERROR: { status: 400, message: 'the request does not match what this route accepts' },
  NOT_FOUND: { status: 404, message: 'no such route' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'this method is not allowed here' },
  NOT_ACCEPTABLE: { status: 406, message: 'cannot answer in the media type the Accept header asks for' },
  REQUEST_TIMEOUT: { status: 408, message: 'the request took too long to arrive' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'the request body is larger than this route accepts' },
  URI_TOO_LONG: { status: 414, message: 'the request URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'the Content-Type is not one this route accepts' },
  RATE_LIMITED: { status: 429, message: 'too many requests; slow down and retry later' },
  HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  INTERNAL_ERROR: { status: 500, message: 'internal error' },
  SHUTTING_DOWN: { status: 503, message: 'the service is restarting; retry in a moment' },
});

/**
 * The model endpoint's container contract (`/invocations`, `/admin/models`). The `sagemaker-runtime` API
 * in front of it answers AWS-shaped errors instead (see `runtimeErrorBodySchema`), as SageMaker does.
 */
export const ENDPOINT_ERRORS = defineErrors({
  ...COMMON_ERRORS,
  // The image itself (codes shared with @petal/imaging's ImageInputError).
  EMPTY_INPUT: { status: 400, message: 'the request body is empty; send the image bytes' },
  NOT_AN_IMAGE: { status: 400, message: 'the body is not a JPEG, PNG, WebP, GIF, AVIF or TIFF image' },
  UNSUPPORTED_FORMAT: { status: 400, message: 'this image format is not supported' },
  CORRUPT_IMAGE: { status: 400, message: 'the image could not be decoded' },
  TOO_MANY_PIXELS: { status: 400, message: 'the image has too many pixels' },
  // The JSON `{"instances": [...]}` payload.
  INVALID_INSTANCES: { status: 400, message: 'the body must be {"instances": [...]}' },
  INVALID_SHAPE: { status: 400, message: 'an instance does not have the shape the model takes' },
  INVALID_VALUE: { status: 400, message: 'an instance holds a value that is not a number' },
  VALUE_OUT_OF_RANGE: { status: 400, message: 'an instance holds a value outside [0, 1]' },
  INVALID_BASE64: { status: 400, message: 'an instance is not valid base64' },
  TOO_MANY_INSTANCES: { status: 400, message: 'too many instances in one request' },
  // Serving state.
  MODEL_LOADING: { status: 503, message: 'the model is still loading' },
  MODEL_CHANGED: { status: 503, message: 'the model changed while the request waited; send it again' },
  QUEUE_FULL: { status: 503, message: 'the endpoint is busy; retry shortly' },
  QUEUE_TIMEOUT: { status: 503, message: 'the request waited too long in the queue; retry shortly' },
  // The admin API (model swap).
  UNAUTHORIZED: { status: 401, message: 'admin token required' },
  FORBIDDEN: { status: 403, message: 'not allowed' },
  SWAP_IN_PROGRESS: { status: 409, message: 'another model swap is in progress' },
  MODEL_LOAD_FAILED: { status: 422, message: 'the model could not be loaded; the current model keeps serving' },
});

/** The WAS API (`/classify/image`, `/flowers`). */
export const WAS_ERRORS = defineErrors({
  ...COMMON_ERRORS,
  MISSING_FILE: { status: 400, message: "no image in multipart field 'file'" },
  EMPTY_FILE: { status: 400, message: 'the uploaded file is empty' },
  UNEXPECTED_FIELD: { status: 400, message: "upload the image in the multipart field 'file'" },
  TOO_MANY_FILES: { status: 400, message: 'send exactly one image per request' },
  TOO_MANY_PARTS: { status: 400, message: 'the form has too many fields' },
  BAD_MULTIPART: { status: 400, message: 'the multipart body could not be read' },
  FILE_TOO_LARGE: { status: 413, message: 'the image is larger than the service accepts' },
  UNSUPPORTED_IMAGE_TYPE: { status: 415, message: 'not a supported image' },
  FLOWER_NOT_FOUND: { status: 404, message: 'no flower with this id' },
  IMAGE_REJECTED: { status: 422, message: 'the model could not use this image' },
  MODEL_FAILED: { status: 502, message: 'the model failed on this request' },
  BAD_GATEWAY: { status: 502, message: 'the model endpoint answered in a way the service cannot use' },
  ENDPOINT_UNAVAILABLE: { status: 503, message: 'the model endpoint is unavailable' },
  ENDPOINT_TIMEOUT: { status: 504, message: 'the model endpoint did not answer in time' },
});

/**
 * The web tier's own errors (the BFF). The browser also receives every WAS error, relayed as it came.
 */
/**
 * The MLOps console's API (`/api/console/*` on the web origin). Part of WEB_ERRORS; kept apart so the
 * classifier page, which never calls the console, does not have to map them.
 */
export const CONSOLE_ERRORS = defineErrors({
  CONSOLE_UNAUTHORIZED: { status: 401, message: 'this console action needs the admin token' },
  CONSOLE_ACTIONS_OFF: { status: 403, message: 'console actions are turned off on this server (no admin token is configured)' },
  CONSOLE_EXECUTION_NOT_FOUND: { status: 404, message: 'no such pipeline execution' },
  CONSOLE_LOG_NOT_FOUND: { status: 404, message: 'this step has no log' },
  CONSOLE_VERSION_NOT_FOUND: { status: 404, message: 'no such model version' },
  CONSOLE_REPORT_NOT_FOUND: { status: 404, message: 'this version has no evaluation report' },
  CONSOLE_INVALID_PARAMETERS: { status: 400, message: 'the pipeline parameters are not valid' },
  CONSOLE_INVALID_TRANSITION: { status: 409, message: 'the version cannot move to that approval status' },
  CONSOLE_NOT_APPROVED: { status: 409, message: 'only an Approved version can be deployed' },
  CONSOLE_BUSY: { status: 409, message: 'another deployment is in progress; try again when it has finished' },
  CONSOLE_NO_DEPLOYER: { status: 503, message: 'no deployer is configured, so versions cannot be deployed from here' },
  CONSOLE_UNAVAILABLE: { status: 503, message: 'the console cannot reach the pipeline store or the model registry' },
});

export const WEB_ERRORS = defineErrors({
  ...COMMON_ERRORS,
  ...CONSOLE_ERRORS,
  /** A 4xx from the WAS without the contract's error body: the status is kept, the body replaced. */
  UPSTREAM_ERROR: { status: 400, message: 'the classification service refused the request' },
  BAD_GATEWAY: { status: 502, message: 'the classification service answered in a way the web tier cannot use' },
  UI_NOT_BUILT: { status: 503, message: 'the web UI has not been built: run `npm run build -w @petal/web`' },
  UPSTREAM_UNAVAILABLE: { status: 503, message: 'the classification service cannot be reached right now' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'the classification service did not answer in time' },
});

export type CommonErrorCode = keyof typeof COMMON_ERRORS;
export type EndpointErrorCode = keyof typeof ENDPOINT_ERRORS;
export type WasErrorCode = keyof typeof WAS_ERRORS;
export type WebErrorCode = keyof typeof WEB_ERRORS;
export type ConsoleErrorCode = keyof typeof CONSOLE_ERRORS;
/** Every code the classifier page can see from the web origin: the BFF's own and the WAS's, relayed (not the console's). */
export type BrowserErrorCode = WasErrorCode | Exclude<WebErrorCode, ConsoleErrorCode>;

/** Whether `code` is one the given catalog declares (for reading an error body from a neighbour). */
export function isCatalogCode<C extends ErrorCatalog>(catalog: C, code: unknown): code is keyof C & string {
  return typeof code === 'string' && Object.hasOwn(catalog, code);
}
