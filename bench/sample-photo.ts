import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { DATA_DIR } from '@petal/stack';

/**
 * The photo every HTTP benchmark sends: the first bellflower of the data set, so runs compare like with
 * like; a generated JPEG where the data set is absent (the numbers then say so through `source`).
 */
export async function samplePhoto(): Promise<{ bytes: Buffer; source: string }> {
  try {
    const dir = join(DATA_DIR, 'bellflower');
    const file = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()[0]!;
    return { bytes: await readFile(join(dir, file)), source: `bellflower/${file}` };
  } catch {
    const bytes = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#8a6fd1' } }).jpeg({ quality: 90 }).toBuffer();
    return { bytes, source: 'generated 256×256 JPEG (data set absent)' };
  }
}
