import { userInfo } from 'node:os';

/** Who makes a change, for the approval history: `PETAL_USER`, else the login name. */
export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PETAL_USER?.trim()) return env.PETAL_USER.trim();
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
