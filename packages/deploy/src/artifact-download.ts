/**
 * Getting what a registered version points at (its artifact, its evaluation.json) onto this machine:
 * `file://` URIs and plain paths are read where they are; `s3://` objects are fetched through
 * `@petal/store`, the one S3 client the project has.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, parseS3Uri } from '@petal/store';

/** Copies what an `s3://` URI names under `intoDir`; returns the local path (a file for an object, a folder for a prefix). */
export type ArtifactDownloader = (uri: string, intoDir: string) => Promise<string>;

export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

export function storeDownloader(options: Parameters<typeof openStore>[1] = {}): ArtifactDownloader {
  return async (uri, intoDir) => {
    const { bucket, prefix } = parseS3Uri(uri);
    const key = prefix.replace(/\/$/, '');
    if (!key) throw new Error(`${uri} names a whole bucket, not a model`);
    const store = openStore(`s3://${bucket}`, options);
    // An object (model.tar.gz, evaluation.json) comes as a file; a prefix holding a model folder as a folder.
    if (await store.exists(key)) return store.getFile(key, join(intoDir, basename(key)));
    return store.getDir(key, join(intoDir, 'model'));
  };
}

/** A local path for a URI: `file://` and plain paths as they are, `s3://` downloaded into `workDir`. */
export async function localPathOf(uri: string, workDir: string, downloader?: ArtifactDownloader): Promise<string> {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri.startsWith('s3://')) {
    if (!downloader) throw new ArtifactError(`cannot fetch ${uri}: this deployer was given no s3:// downloader`);
    await mkdir(workDir, { recursive: true });
    try {
      return await downloader(uri, workDir);
    } catch (err) {
      throw new ArtifactError(`cannot fetch ${uri}: ${(err as Error).message}`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new ArtifactError(`${uri}: only file:// and s3:// URIs are supported`);
  return uri;
}
