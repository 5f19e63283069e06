/**
 * Draws Petal's sample pictures: one illustration per flower, made here from code (no photo of anyone's,
 * nothing from the training data), rendered to JPEG with sharp. The page shows them as the flowers Petal
 * knows, offers them as one-click tries, and uses them as the reference picture beside an answer.
 *
 *   npx tsx apps/web/scripts/make-samples.ts
 *
 * writes apps/web/public/samples/<key>.jpg, and the app icons apps/web/public/icons/*.png (from favicon.svg)
 * that the web app manifest names: PNG, because installers do not all take SVG.
 *
 * The output is committed, so a build needs neither this script nor sharp. Every shape comes from a seeded
 * generator: running it again gives the same pictures.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createRng } from '@petal/model/rng';

const SIZE = 512;
const OUT = fileURLToPath(new URL('../public/samples/', import.meta.url));

const f = (n: number) => n.toFixed(1);

/** A blurred garden: soft green and dark blobs, like an out-of-focus background in a photo. */
function background(r: () => number, base: string, tones: string[]): string {
  let s = `<rect width="${SIZE}" height="${SIZE}" fill="${base}"/><g filter="url(#blur)">`;
  for (let i = 0; i < 40; i += 1) {
    const tone = tones[Math.floor(r() * tones.length)]!;
    s += `<ellipse cx="${f(r() * SIZE)}" cy="${f(r() * SIZE)}" rx="${f(30 + r() * 90)}" ry="${f(20 + r() * 70)}" fill="${tone}" opacity="${f(0.35 + r() * 0.5)}"/>`;
  }
  return `${s}</g>`;
}

function leaf(r: () => number, x: number, y: number, len: number, angle: number, colour: string): string {
  const w = len * (0.22 + r() * 0.1);
  return `<path d="M0 0 Q ${f(w)} ${f(-len / 2)} 0 ${f(-len)} Q ${f(-w)} ${f(-len / 2)} 0 0Z" fill="${colour}" transform="translate(${f(x)} ${f(y)}) rotate(${f(angle)})"/>`;
}

const DEFS = `<defs><filter id="blur"><feGaussianBlur stdDeviation="18"/></filter><filter id="soft"><feGaussianBlur stdDeviation="0.6"/></filter>
<radialGradient id="cone" cx="40%" cy="35%" r="70%"><stop offset="0" stop-color="#5a2d14"/><stop offset="1" stop-color="#1c0d06"/></radialGradient></defs>`;

/** Astilbe: tapering plumes of tiny pink florets over fern-like leaves. */
function astilbe(): string {
  const r = createRng(11);
  let s = background(r, '#2f4a2a', ['#1d3a1f', '#4f6e3a', '#6d8a4a', '#203020']);
  for (let i = 0; i < 26; i += 1) s += leaf(r, r() * SIZE, SIZE - r() * 140, 90 + r() * 80, -60 + r() * 120, r() < 0.5 ? '#3f6b34' : '#2c5228');
  const plumes = [
    { x: 150, base: 470, top: 70, w: 70 },
    { x: 290, base: 480, top: 40, w: 85 },
    { x: 410, base: 470, top: 110, w: 65 },
    { x: 220, base: 500, top: 170, w: 55 },
  ];
  s += '<g filter="url(#soft)">';
  for (const p of plumes) {
    s += `<path d="M${p.x} ${p.base} Q ${p.x + 8} ${(p.base + p.top) / 2} ${p.x} ${p.top}" stroke="#7a3b4a" stroke-width="4" fill="none"/>`;
    for (let k = 0; k < 900; k += 1) {
      const t = r(); // 0 at the tip, 1 at the bottom of the plume
      const y = p.top + t * (p.base - 60 - p.top);
      const half = p.w * (0.15 + 0.85 * t) * (0.5 + 0.5 * Math.sin(t * 9 + r()));
      const x = p.x + (r() * 2 - 1) * half;
      const pink = ['#f07aa8', '#e85b93', '#f6a3c4', '#d94680', '#fbc4d9'][Math.floor(r() * 5)]!;
      s += `<circle cx="${f(x)}" cy="${f(y)}" r="${f(2 + r() * 3.2)}" fill="${pink}"/>`;
    }
  }
  return `${s}</g>`;
}

/** Bellflower: violet-blue five-lobed bells on slender stems. */
function bellflower(): string {
  const r = createRng(23);
  let s = background(r, '#3c5a34', ['#2a4526', '#6f8f55', '#9bb07a', '#223a20']);
  for (let i = 0; i < 18; i += 1) s += leaf(r, r() * SIZE, SIZE - r() * 120, 70 + r() * 60, -50 + r() * 100, '#4d7a3c');
  const bells = [
    { x: 170, y: 200, a: 20, s: 1.25 },
    { x: 320, y: 160, a: -15, s: 1.4 },
    { x: 260, y: 330, a: 5, s: 1.3 },
    { x: 410, y: 300, a: -30, s: 1.05 },
    { x: 100, y: 360, a: 35, s: 1.0 },
  ];
  s += `<path d="M250 520 C 250 400 240 250 300 60" stroke="#3f6a2f" stroke-width="6" fill="none"/>`;
  for (const b of bells) {
    s += `<path d="M${b.x} ${b.y - 70 * b.s} Q ${b.x + 30} ${b.y - 110 * b.s} 300 ${b.y - 140 * b.s}" stroke="#3f6a2f" stroke-width="4" fill="none"/>`;
    const lobes = [-40, -20, 0, 20, 40]
      .map((dx, j) => `Q ${f(dx - 10)} ${f(62 + (j % 2) * 6)} ${f(dx)} 70`)
      .join(' ');
    s += `<g transform="translate(${b.x} ${b.y - 70 * b.s}) rotate(${b.a}) scale(${b.s})">
<path d="M-18 0 C -30 20 -48 45 -50 70 ${lobes} Q 48 45 30 20 C 22 8 18 0 18 0 Z" fill="#6d5bd0"/>
<path d="M-10 6 C -20 25 -30 50 -30 66 L 30 66 C 28 50 18 25 10 6 Z" fill="#8f7de6" opacity="0.8"/>
<path d="M-36 66 Q 0 80 36 66" stroke="#4a3aa8" stroke-width="5" fill="none"/>
<line x1="0" y1="30" x2="0" y2="76" stroke="#f1eac0" stroke-width="3"/>
<ellipse cx="0" cy="0" rx="18" ry="6" fill="#4c7a34"/></g>`;
  }
  // Open bells seen from the front: a five-pointed violet star with a pale throat and a white style.
  for (const o of [
    { x: 120, y: 110, s: 1.1 },
    { x: 430, y: 450, s: 1.2 },
    { x: 440, y: 90, s: 0.9 },
  ]) {
    let star = '';
    for (let i = 0; i < 10; i += 1) {
      const a = (Math.PI / 5) * i - Math.PI / 2;
      const rad = i % 2 === 0 ? 62 : 34;
      star += `${i === 0 ? 'M' : 'L'} ${f(Math.cos(a) * rad)} ${f(Math.sin(a) * rad)} `;
    }
    s += `<g transform="translate(${o.x} ${o.y}) scale(${o.s})"><path d="${star}Z" fill="#6a56cc" stroke="#5443b0" stroke-width="3" stroke-linejoin="round"/>
<circle r="26" fill="#8e7fe0"/><circle r="13" fill="#c9c0f2"/><path d="M0 0 L 0 -10 M0 0 L 9 5 M0 0 L -9 5" stroke="#fffbe6" stroke-width="3"/></g>`;
  }
  return s;
}

/** Black-eyed Susan: golden petals around a dark brown domed centre. */
function blackEyedSusan(): string {
  const r = createRng(37);
  let s = background(r, '#3b5b2c', ['#294420', '#668f3f', '#8fb060', '#1f331a']);
  for (let i = 0; i < 20; i += 1) s += leaf(r, r() * SIZE, SIZE - r() * 150, 80 + r() * 60, -60 + r() * 120, '#3d6b2b');
  const heads = [
    { x: 190, y: 210, s: 1.35 },
    { x: 380, y: 150, s: 0.95 },
    { x: 360, y: 380, s: 1.1 },
    { x: 90, y: 420, s: 0.75 },
  ];
  for (const h of heads) {
    const n = 13;
    let petals = '';
    for (let i = 0; i < n; i += 1) {
      const a = (360 / n) * i + r() * 8;
      const len = 78 + r() * 14;
      const colour = ['#f6b21b', '#f2a20c', '#f8c235', '#eea00f'][i % 4]!;
      petals += `<path d="M0 -20 C 20 ${f(-len * 0.45)} 14 ${f(-len)} 2 ${f(-len - 4)} C -10 ${f(-len)} -20 ${f(-len * 0.45)} 0 -20 Z" fill="${colour}" transform="rotate(${f(a)})"/>`;
      petals += `<path d="M0 -24 L 1 ${f(-len + 6)}" stroke="#d98a08" stroke-width="1.5" transform="rotate(${f(a)})"/>`;
    }
    s += `<g transform="translate(${h.x} ${h.y}) scale(${h.s})">${petals}<circle r="27" fill="url(#cone)"/>`;
    for (let k = 0; k < 40; k += 1) s += `<circle cx="${f((r() * 2 - 1) * 18)}" cy="${f((r() * 2 - 1) * 18)}" r="1.6" fill="#7a4a1c" opacity="0.8"/>`;
    s += '</g>';
  }
  return s;
}

const DRAWINGS: Record<string, () => string> = { astilbe, bellflower, black_eyed_susan: blackEyedSusan };

await mkdir(OUT, { recursive: true });
for (const [key, draw] of Object.entries(DRAWINGS)) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">${DEFS}${draw()}</svg>`;
  const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 82, mozjpeg: true }).toBuffer();
  await writeFile(`${OUT}${key}.jpg`, jpeg);
  console.info(`${key}.jpg: ${jpeg.length} bytes`);
}

// App icons: the favicon's flower on the page colour; the maskable one keeps the flower inside the 80%
// safe zone that launchers may crop to a circle.
const ICONS = fileURLToPath(new URL('../public/icons/', import.meta.url));
const favicon = await readFile(fileURLToPath(new URL('../public/favicon.svg', import.meta.url)));
await mkdir(ICONS, { recursive: true });
for (const [name, size, inner] of [
  ['icon-192.png', 192, 168],
  ['icon-512.png', 512, 448],
  ['maskable-512.png', 512, 320],
] as const) {
  const flower = await sharp(favicon, { density: 600 }).resize(inner, inner).png().toBuffer();
  const png = await sharp({ create: { width: size, height: size, channels: 4, background: '#fcf7f4' } })
    .composite([{ input: flower, gravity: 'center' }])
    .png({ compressionLevel: 9 })
    .toBuffer();
  await writeFile(`${ICONS}${name}`, png);
  console.info(`icons/${name}: ${png.length} bytes`);
}
