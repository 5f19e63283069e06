/** JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic; not DHT C4, JPG C8, DAC CC). */
export const JPEG_SOF: ReadonlySet<number> = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** One marker segment of a JPEG header: its marker byte, where it starts (at 0xFF), and its length field. */
export interface JpegSegment {
  marker: number;
  at: number;
  /** The segment's length field: its size after the two marker bytes. */
  length: number;
}

/**
 * The marker segments of a JPEG's header, in order, up to and including the first start of scan (SOS),
 * each wholly inside `bytes`. Fill bytes and the markers without a length are skipped. It stops early,
 * without yielding more, at an end-of-image marker, at bytes that are not a marker, and at a segment cut
 * short: the callers then ask libvips, which says what is wrong.
 */
export function* jpegHeaderSegments(bytes: Uint8Array): Generator<JpegSegment> {
  const n = bytes.length;
  let at = 2; // after SOI
  while (at + 4 <= n) {
    if (bytes[at] !== 0xff) return;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn, SOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9) return; // end of image
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2 || at + 2 + length > n) return;
    yield { marker, at, length };
    if (marker === 0xda) return;
    at += 2 + length;
  }
}
