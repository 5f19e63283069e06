import * as z from 'zod/mini';

/** Which model answered: the artifact's name and version (the registry's model package, later). */
export const modelIdentitySchema = z.object({ name: z.string().check(z.minLength(1)), version: z.string().check(z.minLength(1)) });
export type ModelIdentity = z.infer<typeof modelIdentitySchema>;
