import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import sharp from 'sharp';
import { createRng } from '@petal/model/rng';

/** One image that is not a photo of any flower the model knows. */
export interface OutOfScopeImage {
  /** `generated/<kind>/<name>`, `package/<npm package>/<path>` or the path under an `--ood` folder. */
  id: string;
  kind: 'noise' | 'solid' | 'gradient' | 'render' | 'package-photo' | 'folder';
  bytes: Uint8Array;
}

/**
 * Images that ship inside npm packages this repository already installs, under licences that allow
 * using them (MIT, Apache-2.0): screenshots, a logo, an icon and two photos, none of them flowers.
 * Read where npm put them; a package that is not installed is left out, not an error.
 */
const PACKAGE_IMAGES: ReadonlyArray<{ pkg: string; licence: string; files: string[] }> = [
  { pkg: '@fastify/static', licence: 'MIT', files: ['example/public/images/sample.jpg'] },
  { pkg: 'autocannon', licence: 'MIT', files: ['test/j5.jpeg'] },
  { pkg: 'pino-pretty', licence: 'MIT', files: ['demo.png'] },
  { pkg: '@fastify/send', licence: 'MIT', files: ['test/fixtures/images/node-js.png'] },
  { pkg: '@fastify/swagger-ui', licence: 'Apache-2.0', files: ['static/favicon-32x32.png'] },
  { pkg: 'playwright-core', licence: 'Apache-2.0', files: ['lib/server/chromium/appIcon.png'] },
  {
    pkg: 'aws-cdk-lib',
    licence: 'Apache-2.0',
    files: [
      'aws-synthetics/images/ui-screenshot.png',
      'aws-synthetics/images/endpoint-example.png',
      'cloudformation-include/doc-images/unprocessed-template.png',
      'cloudformation-include/doc-images/processed-template.png',
    ],
  },
];

const png = (data: Uint8Array, width: number, height: number) => sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();

type Rgb = [number, number, number];

/**
 * The built-in out-of-scope set, generated at run time (nothing is stored): uniform and smoothed noise,
 * solid colours (a 1×1 pixel among them), linear and radial gradients, rendered shapes, stripes,
 * checkerboards and text, plus the licensed package images above. Deterministic for a seed.
 */
export async function generateOutOfScopeSet(seed = 7): Promise<OutOfScopeImage[]> {
  // Seeded, so the generated set is the same on every run.
  const rng = createRng(seed);
  const out: OutOfScopeImage[] = [];
  const add = async (kind: OutOfScopeImage['kind'], name: string, bytes: Promise<Buffer>) =>
    out.push({ id: `generated/${kind}/${name}`, kind, bytes: new Uint8Array(await bytes) });

  const sizes: Array<[number, number]> = [[224, 224], [640, 480], [300, 500], [1024, 768]];
  for (const [i, [w, h]] of sizes.entries()) {
    const data = new Uint8Array(w * h * 3);
    for (let j = 0; j < data.length; j++) data[j] = Math.floor(rng() * 256);
    await add('noise', `uniform-${i}-${w}x${h}.png`, png(data, w, h));
    // Smoothed noise: blotches of colour, closer in texture to a photo than pixel noise.
    await add('noise', `smooth-${i}-${w}x${h}.png`, sharp(data, { raw: { width: w, height: h, channels: 3 } }).blur(6 + 4 * i).normalise().png().toBuffer());
  }
  const solids: Array<[string, Rgb]> = [
    ['red', [255, 0, 0]], ['green', [0, 160, 0]], ['blue', [0, 0, 255]], ['white', [255, 255, 255]],
    ['black', [0, 0, 0]], ['yellow', [250, 220, 0]], ['grey', [128, 128, 128]], ['pink', [240, 150, 200]],
    ['purple', [120, 60, 170]], ['leaf', [70, 110, 40]],
  ];
  for (const [name, [r, g, b]] of solids) {
    await add('solid', `${name}.png`, sharp({ create: { width: 320, height: 240, channels: 3, background: { r, g, b } } }).png().toBuffer());
  }
  await add('solid', 'red-1x1.png', sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer());

  const pairs: Array<[Rgb, Rgb]> = [
    [[255, 0, 0], [0, 0, 255]], [[255, 255, 255], [0, 0, 0]], [[250, 220, 0], [120, 60, 170]],
    [[70, 110, 40], [240, 150, 200]], [[0, 200, 255], [255, 120, 0]], [[30, 30, 30], [200, 200, 200]],
  ];
  for (const [i, [a, b]] of pairs.entries()) {
    const w = 320;
    const h = 240;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // Horizontal, vertical, diagonal and radial ramps in turn.
        const mode = i % 4;
        const t = mode === 0 ? x / (w - 1) : mode === 1 ? y / (h - 1) : mode === 2 ? (x + y) / (w + h - 2) : Math.min(1, Math.hypot(x - w / 2, y - h / 2) / (h / 1.5));
        for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * t);
      }
    }
    await add('gradient', `gradient-${i}.png`, png(data, w, h));
  }

  const colour = () => `rgb(${Math.floor(rng() * 256)},${Math.floor(rng() * 256)},${Math.floor(rng() * 256)})`;
  const svg = (body: string, bg = '#ffffff') =>
    sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="${bg}"/>${body}</svg>`)).png().toBuffer();
  for (let i = 0; i < 4; i++) {
    const shapes = Array.from({ length: 12 }, () => {
      const x = Math.floor(rng() * 400);
      const y = Math.floor(rng() * 300);
      const s = 20 + Math.floor(rng() * 80);
      return rng() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${colour()}"/>`
        : `<rect x="${x}" y="${y}" width="${s}" height="${s * 0.7}" fill="${colour()}" transform="rotate(${Math.floor(rng() * 90)} ${x} ${y})"/>`;
    }).join('');
    await add('render', `shapes-${i}.png`, svg(shapes, i % 2 ? '#202020' : '#f4f4f4'));
  }
  const stripes = Array.from({ length: 20 }, (_, i) => `<rect x="${i * 20}" y="0" width="10" height="300" fill="#1a4f8b"/>`).join('');
  await add('render', 'stripes.png', svg(stripes));
  const checker = Array.from({ length: 15 * 20 }, (_, i) => ((Math.floor(i / 20) + (i % 20)) % 2 ? `<rect x="${(i % 20) * 20}" y="${Math.floor(i / 20) * 20}" width="20" height="20" fill="#000"/>` : '')).join('');
  await add('render', 'checkerboard.png', svg(checker));
  await add('render', 'text.png', svg('<text x="30" y="170" font-size="72" font-family="sans-serif" fill="#333">Petal 꽃 123</text>'));
  await add('render', 'triangles.png', svg('<polygon points="50,250 200,40 350,250" fill="#e33"/><polygon points="120,260 260,90 380,280" fill="#3a3" opacity="0.7"/>', '#fffbe0'));

  out.push(...(await packageImages()));
  return out;
}

async function packageImages(): Promise<OutOfScopeImage[]> {
  const require = createRequire(import.meta.url);
  const found: OutOfScopeImage[] = [];
  for (const { pkg, files } of PACKAGE_IMAGES) {
    let root: string;
    try {
      root = dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      continue;
    }
    for (const file of files) {
      try {
        found.push({ id: `package/${pkg}/${file}`, kind: 'package-photo', bytes: new Uint8Array(await readFile(join(root, file))) });
      } catch {
        // A package version without that file: one image fewer.
      }
    }
  }
  return found;
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|avif|tiff?|bmp)$/i;

/** Every image file under a folder (recursively), as out-of-scope images named by their relative path. */
export async function readOutOfScopeFolder(dir: string): Promise<OutOfScopeImage[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  return Promise.all(
    files.map(async (file) => ({ id: relative(dir, file).split(sep).join('/'), kind: 'folder' as const, bytes: new Uint8Array(await readFile(file)) })),
  );
}
