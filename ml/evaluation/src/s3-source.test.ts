import { S3Client } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadS3Prefix, parseS3Uri } from './s3-source.js';

/**
 * A minimal S3-compatible server (path-style ListObjectsV2 with pagination, and GetObject) on loopback,
 * so the real @aws-sdk/client-s3 is exercised over HTTP with its real request signing and XML parsing.
 */
function startS3(objects: Record<string, Buffer>): Promise<{ server: Server; endpoint: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const [, bucket, ...keyParts] = url.pathname.split('/');
    if (bucket !== 'flowers-bucket') {
      res.writeHead(404, { 'content-type': 'application/xml' });
      return res.end('<Error><Code>NoSuchBucket</Code><Message>no bucket</Message></Error>');
    }
    if (url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const after = url.searchParams.get('continuation-token') ?? '';
      const keys = Object.keys(objects).filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = keys.slice(0, 3); // small pages, to exercise the paginator
      const truncated = keys.length > page.length;
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount>` +
          `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${page.at(-1)}</NextContinuationToken>` : ''}` +
          page.map((k) => `<Contents><Key>${k}</Key><Size>${objects[k]!.length}</Size></Contents>`).join('') +
          '</ListBucketResult>',
      );
    }
    const key = decodeURIComponent(keyParts.join('/'));
    const body = objects[key];
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      return res.end('<Error><Code>NoSuchKey</Code><Message>no key</Message></Error>');
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => ok({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests })),
  );
}

describe('s3:// data source', () => {
  const objects = {
    'data/flowers/rose/1.jpg': Buffer.from('rose-1'),
    'data/flowers/rose/2.jpg': Buffer.from('rose-2'),
    'data/flowers/tulip/1.jpg': Buffer.from('tulip-1'),
    'data/flowers/tulip/sub/2.jpg': Buffer.from('tulip-2'),
    'data/flowers/': Buffer.alloc(0),
    'data/other/x.jpg': Buffer.from('other'),
  };
  let s3: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    s3 = await startS3(objects);
  });
  afterAll(() => s3.server.close());

  it('parses s3 URIs', () => {
    expect(parseS3Uri('s3://my-bucket/a/b')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(() => parseS3Uri('https://x/y')).toThrow(/not an s3:\/\/bucket\/prefix/);
  });

  it('downloads every object under the prefix, keeping the layout, with the real SDK', async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const progress: number[] = [];
    const dir = await downloadS3Prefix('s3://flowers-bucket/data/flowers', { client, onProgress: (d) => progress.push(d) });
    expect((await readdir(dir)).sort()).toEqual(['rose', 'tulip']);
    expect(await readFile(join(dir, 'tulip/sub/2.jpg'), 'utf8')).toBe('tulip-2');
    expect(await readFile(join(dir, 'rose/1.jpg'), 'utf8')).toBe('rose-1');
    expect(progress.at(-1)).toBe(4);
    expect(s3.requests.filter((r) => r.includes('list-type=2')).length).toBeGreaterThan(1); // paginated
    await expect(downloadS3Prefix('s3://flowers-bucket/nothing-here', { client })).rejects.toThrow(/holds no objects/);
  });
});
