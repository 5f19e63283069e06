import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { ARCHIVE_FILE, ModelArtifactError } from './manifest.js';

/**
 * Packs the artifact files of a model directory into `model.tar.gz` at the archive root, the layout
 * SageMaker unpacks into /opt/ml/model.
 */
export async function packModelArchive(modelDir: string, files: string[], archivePath = join(modelDir, ARCHIVE_FILE)): Promise<string> {
  await tar.create({ gzip: true, file: archivePath, cwd: modelDir, portable: true, noMtime: true }, files);
  return archivePath;
}

/**
 * Resolves a model location to a directory: a directory as is, a `.tar.gz`/`.tgz` unpacked into a fresh
 * temporary directory (removed by the returned cleanup).
 */
export async function openModelLocation(location: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new ModelArtifactError(`model location ${location} does not exist`);
  }
  if (info.isDirectory()) return { dir: location, cleanup: async () => undefined };
  if (!/\.(tar\.gz|tgz)$/.test(location)) {
    throw new ModelArtifactError(`model location ${location} is neither a directory nor a model.tar.gz`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'petal-model-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  // A model is plain files in folders: a link (or device, fifo…) could point a weights path outside the
  // unpacked folder, past the manifest's own inside-the-folder check, so an archive with one is refused.
  const refused: string[] = [];
  try {
    // strict: a damaged archive is an error, not a partial model; no absolute paths or ".." escapes.
    await tar.extract({
      file: location,
      cwd: dir,
      strict: true,
      preservePaths: false,
      filter: (path, entry) => {
        const type = 'type' in entry ? entry.type : entry.isFile() ? 'File' : entry.isDirectory() ? 'Directory' : 'Other';
        const plain = type === 'File' || type === 'OldFile' || type === 'Directory';
        if (!plain) refused.push(`${path} (${type})`);
        return plain;
      },
    });
  } catch (err) {
    await cleanup();
    throw new ModelArtifactError(`cannot unpack ${location}: ${(err as Error).message}`);
  }
  if (refused.length > 0) {
    await cleanup();
    throw new ModelArtifactError(`cannot unpack ${location}: it holds entries that are not plain files or folders: ${refused.join(', ')}`);
  }
  // Some tools pack the files under one top-level folder; accept that layout too.
  const entries = await readdir(dir, { withFileTypes: true });
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only?.isDirectory()) return { dir: join(dir, only.name), cleanup };
  return { dir, cleanup };
}
