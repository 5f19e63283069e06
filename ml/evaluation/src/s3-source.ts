import { GetObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { UsageError } from './errors.js';

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) throw new UsageError(`${uri} is not an s3://bucket/prefix URI`);
  const prefix = match[2] ?? '';
  return { bucket: match[1]!, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix };
}

/**
 * Downloads every object under an s3:// prefix into a fresh local directory, keeping the key layout
 * below the prefix (so `s3://b/flowers/rose/1.jpg` lands in `<dir>/rose/1.jpg`). Honours the SDK's usual
 * configuration (region, credentials, AWS_ENDPOINT_URL_S3 for S3-compatible servers).
 */
export async function downloadS3Prefix(
  uri: string,
  options: { client?: S3Client; onProgress?: (done: number, total: number) => void } = {},
): Promise<string> {
  const { bucket, prefix } = parseS3Uri(uri);
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const client =
    options.client ??
    new S3Client({
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // S3-compatible local servers rarely do virtual-hosted buckets.
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    });
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key);
  }
  if (keys.length === 0) throw new UsageError(`${uri} holds no objects`);
  const dir = await mkdtemp(join(tmpdir(), 'petal-s3-data-'));
  let done = 0;
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      const relative = normalize(key.slice(prefix.length));
      if (relative.startsWith('..') || relative.startsWith(sep)) continue; // never write outside the folder
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = await response.Body!.transformToByteArray();
      const target = join(dir, relative);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, body);
      options.onProgress?.(++done, keys.length);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return dir;
}
