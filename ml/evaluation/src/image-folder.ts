import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { UsageError } from './errors.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff']);

export interface Sample {
  /** `<class>/<file>`, stable across machines (used in fingerprints and reports). */
  id: string;
  classIndex: number;
  bytes: Uint8Array;
}

export interface Dataset {
  root: string;
  classes: string[];
  samples: Sample[];
  /** Files with an image extension that could not be read at all. */
  unreadable: string[];
}

/**
 * Reads `<root>/<class>/<image>` into memory. Classes are the sub-folder names in sorted order (that order
 * is the model's output order). Refuses, with messages that say what to fix, a root that is missing, a
 * class folder with no images, or fewer than two classes.
 */
export async function readImageFolder(root: string, classes?: string[]): Promise<Dataset> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    throw new UsageError(`data directory ${root} does not exist or cannot be read`);
  }
  const found: string[] = [];
  for (const e of entries) {
    if (!e.name.startsWith('.') && (await isKind(join(root, e.name), e, 'directory'))) found.push(e.name);
  }
  found.sort();
  const classList = classes ?? found;
  if (classList.length < 2) {
    throw new UsageError(
      `${root} has ${classList.length} class folder(s)${classList.length ? ` (${classList.join(', ')})` : ''}; ` +
        'training needs at least 2: put each class\'s images in its own sub-folder, e.g. data/rose/*.jpg',
    );
  }
  const samples: Sample[] = [];
  const unreadable: string[] = [];
  for (const [classIndex, name] of classList.entries()) {
    const dir = join(root, name);
    let files: string[];
    try {
      files = [];
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.') || !IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) continue;
        if (await isKind(join(dir, e.name), e, 'file')) files.push(e.name);
      }
      files.sort();
    } catch {
      throw new UsageError(`class folder ${dir} is missing (the model's classes are ${classList.join(', ')})`);
    }
    if (files.length === 0) {
      throw new UsageError(`class folder ${dir} has no images (.jpg, .jpeg, .png, .webp, .gif, .avif, .tif)`);
    }
    for (const file of files) {
      try {
        samples.push({ id: `${name}/${file}`, classIndex, bytes: new Uint8Array(await readFile(join(dir, file))) });
      } catch {
        unreadable.push(`${name}/${file}`);
      }
    }
  }
  return { root, classes: classList, samples, unreadable };
}

/** Directory entry kind, following symbolic links (data sets are often assembled from links). */
async function isKind(path: string, entry: Dirent, kind: 'file' | 'directory'): Promise<boolean> {
  if (!entry.isSymbolicLink()) return kind === 'file' ? entry.isFile() : entry.isDirectory();
  try {
    const target = await stat(path);
    return kind === 'file' ? target.isFile() : target.isDirectory();
  } catch {
    return false; // a dangling link
  }
}

/** The sha256 of one file's bytes, hex. */
export function fileDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A fingerprint of a set of labelled files: every file's `<class>/<name>` and content digest, in sorted
 * order, hashed once more. The same files give the same fingerprint on any machine, in any order.
 */
export function fingerprintFiles(files: ReadonlyArray<{ id: string; sha256: string }>): string {
  const lines = files
    .map((f) => `${f.id}:${f.sha256}`)
    .sort()
    .join('\n');
  return `sha256:${createHash('sha256').update(lines).digest('hex')}`;
}

/** A fingerprint of the data a model saw: every file's class, name and content. */
export function fingerprintSamples(samples: readonly Sample[]): string {
  return fingerprintFiles(samples.map((s) => ({ id: s.id, sha256: fileDigest(s.bytes) })));
}
