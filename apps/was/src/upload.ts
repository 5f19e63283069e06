import type { FastifyRequest } from 'fastify';
import { HttpError } from '@petal/service-kit';
import { MIME_TYPES, sniffImageFormat, type ImageFormat } from './sniff.js';

export interface Upload {
  bytes: Buffer;
  format: ImageFormat;
  mimeType: string;
}

export const UPLOAD_FIELD = 'file';

const multipartErrorCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

/**
 * Reads exactly one image from multipart field `file` into memory (never to disk), enforcing the size
 * limit while streaming and recognizing the format from its bytes.
 */
export async function readImageUpload(request: FastifyRequest, maxBytes: number): Promise<Upload> {
  let bytes: Buffer | undefined;
  try {
    // files: 1 makes a second file raise FilesLimitError instead of being buffered.
    const parts = request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 16, parts: 17 } });
    for await (const part of parts) {
      if (part.type !== 'file') continue; // stray text fields are ignored
      if (part.fieldname !== UPLOAD_FIELD) {
        throw new HttpError(400, 'UNEXPECTED_FIELD', `upload the image in the multipart field '${UPLOAD_FIELD}', not '${part.fieldname}'`);
      }
      bytes = await part.toBuffer();
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    switch (multipartErrorCode(err)) {
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send multipart/form-data with the image in field '${UPLOAD_FIELD}'`);
      case 'FST_REQ_FILE_TOO_LARGE':
        throw new HttpError(413, 'FILE_TOO_LARGE', `the image is larger than ${maxBytes} bytes`);
      case 'FST_FILES_LIMIT':
        throw new HttpError(400, 'TOO_MANY_FILES', 'send exactly one image per request');
      case 'FST_PARTS_LIMIT':
      case 'FST_FIELDS_LIMIT':
        throw new HttpError(400, 'TOO_MANY_PARTS', 'the form has too many fields');
      default:
        throw new HttpError(400, 'BAD_MULTIPART', 'the multipart body could not be read');
    }
  }
  if (bytes === undefined) throw new HttpError(400, 'MISSING_FILE', `no image in multipart field '${UPLOAD_FIELD}'`);
  if (bytes.length === 0) throw new HttpError(400, 'EMPTY_FILE', 'the uploaded file is empty');
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new HttpError(415, 'UNSUPPORTED_IMAGE_TYPE', `not a supported image; send one of: ${Object.keys(MIME_TYPES).join(', ')}`);
  }
  return { bytes, format, mimeType: MIME_TYPES[format] };
}
