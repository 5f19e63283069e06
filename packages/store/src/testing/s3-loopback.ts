import { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for S3, for tests only: path-style PutObject (with `If-None-Match: *` conditional
 * writes), GetObject, HeadObject, DeleteObject (with `If-Match`) and paginated ListObjectsV2, held in memory.
 * It lets the real `@aws-sdk/client-s3` run over HTTP with its real signing and XML parsing; it is not S3,
 * and only the behaviour the store relies on is modelled.
 */
export interface S3Loopback {
  endpoint: string;
  bucket: string;
  /** key → object, to inspect or seed from a test. */
  objects: Map<string, { body: Buffer; etag: string; lastModified: Date }>;
  /** `METHOD /path?query` of every request, in order. */
  requests: string[];
  /** A client for this server (dummy credentials, path-style). */
  client(): S3Client;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function error(res: ServerResponse, status: number, code: string, message: string, head = false): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(head ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startS3Loopback(options: { bucket?: string; pageSize?: number } = {}): Promise<S3Loopback> {
  const bucket = options.bucket ?? 'petal-test';
  const pageSize = options.pageSize ?? 3; // small pages, so callers' pagination is exercised
  const objects: S3Loopback['objects'] = new Map();
  const requests: string[] = [];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const [, urlBucket, ...keyParts] = url.pathname.split('/');
    const head = req.method === 'HEAD';
    if (urlBucket !== bucket) return error(res, 404, 'NoSuchBucket', 'no such bucket', head);
    const key = keyParts.map(decodeURIComponent).join('/');

    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const after = url.searchParams.get('continuation-token') ?? '';
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = keys.slice(0, pageSize);
      const truncated = keys.length > page.length;
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>` +
          (truncated ? `<NextContinuationToken>${xmlEscape(page.at(-1)!)}</NextContinuationToken>` : '') +
          page.map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>${objects.get(k)!.body.length}</Size></Contents>`).join('') +
          '</ListBucketResult>',
      );
    }
    const object = objects.get(key);
    if (req.method === 'PUT') {
      const body = await readBody(req);
      if (req.headers['if-none-match'] === '*' && object) return error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      objects.set(key, { body, etag, lastModified: new Date() });
      res.writeHead(200, { etag });
      return res.end();
    }
    if (req.method === 'DELETE') {
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined) {
        if (!object) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        if (ifMatch !== object.etag) return error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      }
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'GET' || head) {
      if (!object) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.', head);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': object.body.length,
        etag: object.etag,
        'last-modified': object.lastModified.toUTCString(),
      });
      return res.end(head ? undefined : object.body);
    }
    error(res, 405, 'MethodNotAllowed', `${req.method} is not modelled by the loopback stand-in`);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    objects,
    requests,
    client: () =>
      new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
