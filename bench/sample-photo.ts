import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DATA_DIR } from '@petal/stack';

export interface SamplePhoto {
  bytes: Buffer;
  source: string;
}

/**
 * The photo every HTTP benchmark sends: the first bellflower of the data set, so runs compare like with
 * like; a generated JPEG where the data set is absent (the numbers then say so through `source`).
 */
export async function samplePhoto(): Promise<SamplePhoto> {
  try {
    const dir = join(DATA_DIR, 'bellflower');
    const file = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()[0]!;
    return { bytes: await readFile(join(dir, file)), source: `bellflower/${file}` };
  } catch {
    const bytes = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#8a6fd1' } }).jpeg({ quality: 90 }).toBuffer();
    return { bytes, source: 'generated 256×256 JPEG (data set absent)' };
  }
}

const WEB_SAMPLE = fileURLToPath(new URL('../apps/web/public/samples/bellflower.jpg', import.meta.url));

/**
 * A photo the size the web app actually uploads: a 4:3 phone photo is shrunk in the browser to a long
 * side of 1024 px and re-encoded as JPEG at quality 0.9 (`DOWNSCALE` in apps/web/src/client/lib/
 * downscale.ts). Made from the web app's 512×512 bellflower sample, enlarged, so its JPEG is a little
 * smoother (cheaper to decode) than a camera's.
 */
export async function uploadSizedPhoto(): Promise<SamplePhoto> {
  const bytes = await sharp(await readFile(WEB_SAMPLE)).resize(1024, 768, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  return { bytes, source: 'the web sample bellflower as the web client uploads a phone photo: 1024×768 JPEG, quality 90' };
}
