/**
 * The pictures that ship with the app (public/samples, drawn by scripts/make-samples.ts): one per flower
 * key that has one. They are the one-click tries on the first screen and the reference picture beside an
 * answer. A class without a picture is still listed, just without one.
 */
const SAMPLE_KEYS: ReadonlySet<string> = new Set(['astilbe', 'bellflower', 'black_eyed_susan']);

export function sampleUrl(key: string): string | undefined {
  return SAMPLE_KEYS.has(key) ? `/samples/${key}.jpg` : undefined;
}

/** Fetches a sample as a File, so it goes through exactly the path a person's own photo takes. */
export async function sampleFile(key: string, signal?: AbortSignal): Promise<File> {
  const url = sampleUrl(key);
  if (!url) throw new Error(`no sample picture for ${key}`);
  const res = await fetch(url, signal ? { signal } : {});
  if (!res.ok) throw new Error(`sample ${key}: HTTP ${res.status}`);
  return new File([await res.blob()], `${key}.jpg`, { type: 'image/jpeg' });
}
