import sharp from 'sharp';

/** A small generated JPEG (or PNG) for tests that need "some image", never a file from the repo. */
export async function makeImage(format: 'jpeg' | 'png' = 'jpeg', size = 64): Promise<Buffer> {
  const img = sharp({ create: { width: size, height: size, channels: 3, background: { r: 200, g: 80, b: 120 } } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg().toBuffer();
}

/** Builds a multipart/form-data body with the given file parts (name, bytes, filename, type). */
export function multipartForm(
  files: Array<{ field: string; bytes: Uint8Array; filename?: string; type?: string }>,
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field, new Blob([f.bytes], { type: f.type ?? 'application/octet-stream' }), f.filename ?? 'upload.bin');
  return form;
}
