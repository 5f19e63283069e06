import sharp from 'sharp';
import type { SmokeCase } from '../smoke-set.js';

/**
 * Flowers drawn for tests, so the smoke test has photos with known labels without the data set: a
 * black-eyed Susan (yellow rays around a dark disc), bellflowers (violet bells) and astilbe (pink
 * feathery plumes), two of each, on green. The shipped model names every one of them correctly (the
 * local-deploy test checks that first), and a model whose labels are permuted names none of them.
 */
const SIZE = 256;

function blackEyedSusan(cx: number, cy: number, r: number, ray: string): string {
  const rays = Array.from({ length: 14 }, (_, i) => `<ellipse cx="${cx}" cy="${cy - r * 0.55}" rx="${r * 0.16}" ry="${r * 0.5}" fill="${ray}" transform="rotate(${i * 26} ${cx} ${cy})"/>`);
  return `${rays.join('')}<circle cx="${cx}" cy="${cy}" r="${r * 0.27}" fill="#3a2010"/>`;
}

function bell(x: number, y: number, scale: number, color: string): string {
  const s = (v: number) => (v * scale).toFixed(1);
  return `<path d="M${x} ${y} q${s(30)} 0 ${s(30)} ${s(60)} l${s(10)} ${s(30)} h${s(-80)} l${s(10)} ${s(-30)} q0 ${s(-60)} ${s(30)} ${s(-60)}z" fill="${color}"/>`;
}

function plume(cx: number, color: string): string {
  return Array.from({ length: 60 }, (_, i) => {
    const t = i / 60;
    const x = cx + Math.sin(i * 2.3) * (5 + t * 35);
    return `<circle cx="${x.toFixed(1)}" cy="${(30 + t * 180).toFixed(1)}" r="${(3 + t * 3).toFixed(1)}" fill="${color}"/>`;
  }).join('');
}

const DRAWINGS: ReadonlyArray<{ name: string; label: string; svg: string }> = [
  { name: 'drawn-susan-1', label: 'black_eyed_susan', svg: `<rect width="256" height="256" fill="#2d5a1e"/>${blackEyedSusan(128, 128, 110, '#f5b800')}` },
  { name: 'drawn-susan-2', label: 'black_eyed_susan', svg: `<rect width="256" height="256" fill="#355e22"/>${blackEyedSusan(80, 90, 70, '#ffc20e')}${blackEyedSusan(180, 170, 70, '#f0a800')}` },
  { name: 'drawn-bellflower-1', label: 'bellflower', svg: `<rect width="256" height="256" fill="#3f6b2a"/>${[40, 110, 180].map((x) => bell(x, 60, 1, '#6a4bc4')).join('')}` },
  { name: 'drawn-bellflower-2', label: 'bellflower', svg: `<rect width="256" height="256" fill="#30592a"/>${[70, 170].map((x) => bell(x, 50, 1.4, '#7b5bd6')).join('')}` },
  { name: 'drawn-astilbe-1', label: 'astilbe', svg: `<rect width="256" height="256" fill="#244d1a"/>${plume(60, '#f07cb0')}${plume(130, '#e86aa0')}${plume(200, '#f590c0')}` },
  { name: 'drawn-astilbe-2', label: 'astilbe', svg: `<rect width="256" height="256" fill="#1d3d14"/>${plume(90, '#d04080')}${plume(170, '#c03070')}` },
];

export async function drawnFlowers(): Promise<SmokeCase[]> {
  return Promise.all(
    DRAWINGS.map(async ({ name, label, svg }) => {
      const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}">${svg}</svg>`;
      const image = new Uint8Array(await sharp(Buffer.from(doc)).jpeg({ quality: 90 }).toBuffer());
      return { name, label, image };
    }),
  );
}
