import { WAS_ERRORS } from '@petal/contracts';
import { IMAGE_MIME_TYPES, formatRefusal, sniffImageFormat, type ImageFormat } from '@petal/imaging/format';
import { HttpError, createErrors } from '@petal/service-kit';
import type { FastifyRequest } from 'fastify';

const fail = createErrors(WAS_ERRORS);

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
        throw fail('UNEXPECTED_FIELD', `upload the image in the multipart field '${UPLOAD_FIELD}', not '${part.fieldname}'`);
      }
      bytes = await part.toBuffer();
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    switch (multipartErrorCode(err)) {
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        throw fail('UNSUPPORTED_MEDIA_TYPE', `send multipart/form-data with the image in field '${UPLOAD_FIELD}'`);
      case 'FST_REQ_FILE_TOO_LARGE':
        throw fail('FILE_TOO_LARGE', `the image is larger than ${maxBytes} bytes`);
      case 'FST_FILES_LIMIT':
        throw fail('TOO_MANY_FILES');
      case 'FST_PARTS_LIMIT':
      case 'FST_FIELDS_LIMIT':
        throw fail('TOO_MANY_PARTS');
      default:
        throw fail('BAD_MULTIPART');
    }
  }
  if (bytes === undefined) throw fail('MISSING_FILE', `no image in multipart field '${UPLOAD_FIELD}'`);
  if (bytes.length === 0) throw fail('EMPTY_FILE');
  const format = sniffImageFormat(bytes);
  // The same words the endpoint's decoder would use ("HEIC/HEIF images are not supported…"), without decoding.
  if (!format) throw fail('UNSUPPORTED_IMAGE_TYPE', formatRefusal(bytes).message);
  return { bytes, format, mimeType: IMAGE_MIME_TYPES[format] };
}
