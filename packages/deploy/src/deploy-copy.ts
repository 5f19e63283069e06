/**
 * The folder the local endpoint loads a registered version from. The artifact (a directory or
 * `model.tar.gz`, by `file://` or `s3://` URI) is copied into `<root>/<group>/v<version>-<stamp>/` and its
 * manifest rewritten to the registered identity: name = group, version = the registry's number. The
 * endpoint reports what the manifest says, so `/models` and every answer then name the registered
 * version. Only the manifest changes; `head.bin` and its sha256 stay as trained (the checksum covers the
 * weights, not the manifest), so the model serves exactly as it was evaluated.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHIVE_FILE, MANIFEST_FILE, openModelLocation, parseManifest, type Manifest } from '@petal/model';
import { ArtifactError, localPathOf, type ArtifactDownloader } from './artifact-download.js';
import { servedIdentity, type DeployablePackage } from './deploy-target.js';

export interface DeployCopy {
  dir: string;
  manifest: Manifest;
}

/**
 * Makes the deploy copy of `pkg` under `root`. The folder is written under a temporary name and renamed,
 * so the endpoint never sees half a model; each attempt gets its own folder, so a redeploy never
 * overwrites the folder a running model (or its rollback target) came from.
 */
export async function prepareDeployCopy(pkg: DeployablePackage, root: string, downloader?: ArtifactDownloader): Promise<DeployCopy> {
  const groupDir = join(root, safeSegment(pkg.group));
  await mkdir(groupDir, { recursive: true });
  const stamp = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const dir = join(groupDir, `v${pkg.version}-${stamp}`);
  const staging = `${dir}.partial`;
  const download = `${dir}.download`;
  try {
    const source = await localPathOf(pkg.artifactUri, download, downloader);
    const opened = await openModelLocation(source).catch((err: Error) => {
      throw new ArtifactError(`artifact ${pkg.artifactUri} of ${pkg.group} v${pkg.version} cannot be opened: ${err.message}`);
    });
    try {
      await copyModelFiles(opened.dir, staging);
    } finally {
      await opened.cleanup();
    }
    const manifest = await writeRegisteredManifest(staging, pkg);
    await rename(staging, dir);
    return { dir, manifest };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    // A download was only a means to get the files; the endpoint loads the folder.
    await rm(download, { recursive: true, force: true });
  }
}

/** The model's files (manifest, head, split, evaluation…), without its archive: the endpoint loads the folder. */
async function copyModelFiles(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || entry.name === ARCHIVE_FILE || entry.name.startsWith('.')) continue;
    await copyFile(join(from, entry.name), join(to, entry.name));
  }
}

async function writeRegisteredManifest(dir: string, pkg: DeployablePackage): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ArtifactError(`artifact ${pkg.artifactUri} has no readable ${MANIFEST_FILE}: ${(err as Error).message}`);
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest({ ...(json as object), ...servedIdentity(pkg) }, `${pkg.artifactUri}/${MANIFEST_FILE}`);
  } catch (err) {
    throw new ArtifactError((err as Error).message);
  }
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Removes this group's deploy copies except `keep` (what serves now and what a rollback would return to)
 * and any younger than `minAgeMs`: another deploy may have just made one and not swapped to it yet.
 */
export async function pruneDeployCopies(root: string, group: string, keep: readonly string[], minAgeMs = 10 * 60_000): Promise<string[]> {
  const groupDir = join(root, safeSegment(group));
  const kept = new Set(keep);
  const entries = await readdir(groupDir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    const dir = join(groupDir, entry.name);
    // Only finished copies this package made; a `.partial` belongs to a deploy still running.
    if (!entry.isDirectory() || !/^v\d+-[0-9a-z]+$/.test(entry.name) || kept.has(dir)) continue;
    const info = await stat(dir).catch(() => undefined);
    if (!info || Date.now() - info.mtimeMs < minAgeMs) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function safeSegment(group: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(group)) throw new ArtifactError(`model package group ${JSON.stringify(group)} is not a plain name`);
  return group;
}
