/** Builds the images of containers/Dockerfile, one target each, and measures what they add to the base. */
import { DOCKERFILE, baseImage, imageSize, megabytes, run, type Engine, type ImageName } from './engine.js';

export interface BuiltImage {
  name: ImageName;
  /** `petal-<name>:<tag>`; also tagged `:latest`. */
  image: string;
  buildSeconds: number;
  sizeBytes: number;
  /** What the image adds to the base image. */
  addedBytes: number;
}

export const imageRef = (name: ImageName, tag: string): string => `petal-${name}:${tag}`;

/**
 * `<engine> build -f containers/Dockerfile --target <name> -t petal-<name>:<tag> -t petal-<name>:latest .`
 * from the repository root, one image after the other: the shared stages (manifests, build) are built once
 * and reused from the engine's layer cache by the next target.
 */
export async function buildImages(engine: Engine, names: readonly ImageName[], tag: string, log: (line: string) => void = console.log): Promise<BuiltImage[]> {
  const base = baseImage();
  const baseBytes = imageSize(engine, base);
  const built: BuiltImage[] = [];
  for (const name of names) {
    const image = imageRef(name, tag);
    log(`building ${image} (target ${name}) with ${engine.name}`);
    const started = performance.now();
    await run(engine.name, ['build', ...engine.buildFlags, '-f', DOCKERFILE, '--target', name, '-t', image, '-t', imageRef(name, 'latest'), '.']);
    const buildSeconds = (performance.now() - started) / 1000;
    const sizeBytes = imageSize(engine, image);
    built.push({ name, image, buildSeconds, sizeBytes, addedBytes: sizeBytes - baseBytes });
    log(`built ${image} in ${buildSeconds.toFixed(0)} s: ${megabytes(sizeBytes)}, ${megabytes(sizeBytes - baseBytes)} over ${base}`);
  }
  return built;
}

/** A table of the images, their sizes and build times. */
export function sizeTable(built: readonly BuiltImage[], base: string): string {
  const rows = built.map((b) => `| ${b.image} | ${megabytes(b.sizeBytes)} | ${megabytes(b.addedBytes)} | ${b.buildSeconds.toFixed(0)} s |`);
  return [`| image | size | over ${base} | build |`, '| --- | --- | --- | --- |', ...rows].join('\n');
}
