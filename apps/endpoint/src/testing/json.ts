/** Test assertions probe response bodies of many shapes; `any` keeps them readable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJson = any;
export const anyJson = (value: unknown): AnyJson => value;
