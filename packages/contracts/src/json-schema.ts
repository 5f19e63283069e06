import * as z from 'zod/mini';

/**
 * A contract as JSON Schema (draft-07), for Fastify's response serializer and the OpenAPI document, so
 * neither can drift from the zod schema the neighbours validate against.
 */
export function jsonSchemaOf(schema: z.ZodMiniType, options: { id?: string } = {}): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return options.id ? { $id: options.id, ...json } : json;
}
