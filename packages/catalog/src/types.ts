export const LANGUAGES = ['ko', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

export interface Flower {
  /** Class id of the reference label map (0–15). */
  readonly no: number;
  /** Stable machine key; model label keys use it. */
  readonly key: string;
  readonly name: Readonly<Record<Lang, string>>;
  readonly description: Readonly<Record<Lang, string>>;
}

/** A flower with its texts resolved to one language, as the APIs return it. */
export interface LocalizedFlower {
  no: number;
  key: string;
  name: string;
  description: string;
}
