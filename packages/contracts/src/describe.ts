import * as z from 'zod/mini';

/**
 * Attaches a description that the OpenAPI document (through `jsonSchemaOf`) shows. zod/mini has no
 * `.describe()`; the global registry is where `z.toJSONSchema` looks.
 */
export function describe<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}
