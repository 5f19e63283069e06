import type { z } from 'zod';

export class StoreDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreDataError';
  }
}

/** Parses stored JSON against its schema; a broken object says where it is and which field is wrong. */
export function parseJsonObject<T>(text: string, schema: z.ZodType<T>, uri: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StoreDataError(`${uri} is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new StoreDataError(`${uri} does not hold what was expected: ${issues}`);
  }
  return parsed.data;
}
