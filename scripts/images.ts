/**
 * `npm run images [-- web was endpoint training]`: builds Petal's container images from
 * containers/Dockerfile with docker (when a daemon answers) or podman, tagged `petal-<name>:<git short sha>`
 * (`-dirty` when the working tree has uncommitted changes) and `petal-<name>:latest`, then prints their
 * sizes. PETAL_CONTAINER_ENGINE=docker|podman picks the engine. No names: all four.
 */
import { buildImages, sizeTable } from './containers/build.js';
import { IMAGE_NAMES, baseImage, detectEngine, gitTag, type ImageName } from './containers/engine.js';

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(IMAGE_NAMES as readonly string[]).includes(n));
  if (unknown.length) {
    console.error(`images: unknown image ${unknown.join(', ')} (images: ${IMAGE_NAMES.join(', ')})`);
    process.exit(2);
  }
  const engine = detectEngine();
  if (!engine) {
    console.error('images: no container engine: install Docker (with its daemon running) or podman');
    process.exit(1);
  }
  const tag = gitTag();
  const started = performance.now();
  const built = await buildImages(engine, names.length ? (names as ImageName[]) : IMAGE_NAMES, tag, (line) => console.log(`[images] ${line}`));
  console.log(`\n${sizeTable(built, baseImage())}\n\n[images] ${built.length} image(s) in ${((performance.now() - started) / 1000).toFixed(0)} s, tags :${tag} and :latest`);
}

main().catch((err: unknown) => {
  console.error(`images: ${(err as Error).message}`);
  process.exit(1);
});
