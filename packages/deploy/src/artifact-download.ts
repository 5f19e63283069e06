/**
 * Fetching an `s3://` artifact for a local deploy, through `@petal/store` (the one S3 client the
 * project has): a `model.tar.gz` object as a file, any other URI as a prefix holding a model folder.
 */
import { join } from 'node:path';
import { ARCHIVE_FILE } from '@petal/model';
import { openStore, parseS3Uri } from '@petal/store';

/** Copies the artifact at an `s3://` URI under `intoDir`; returns the local path (a model.tar.gz or a folder). */
export type ArtifactDownloader = (uri: string, intoDir: string) => Promise<string>;

export function storeDownloader(options: Parameters<typeof openStore>[1] = {}): ArtifactDownloader {
  return async (uri, intoDir) => {
    const { bucket, prefix } = parseS3Uri(uri);
    const key = prefix.replace(/\/$/, '');
    if (!key) throw new Error(`${uri} names a whole bucket, not a model`);
    const store = openStore(`s3://${bucket}`, options);
    if (/\.(tar\.gz|tgz)$/.test(key)) return store.getFile(key, join(intoDir, ARCHIVE_FILE));
    return store.getDir(key, join(intoDir, 'model'));
  };
}
