import { spawnService, waitFor200, type ServiceProcess } from '@petal/stack';

export type Spawned = ServiceProcess;

/** Runs the real entry point (`main.ts serve`) from source, as `npm run dev` does. */
export function spawnEndpoint(env: Record<string, string>, args: string[] = ['serve']): Spawned {
  return spawnService('endpoint', env, { args });
}

/** Waits for the pino line that says the server listens, and returns its URL. */
export function listeningUrl(spawned: Spawned, timeoutMs = 60_000): Promise<string> {
  return spawned.url(timeoutMs);
}

/** Waits for /ping 200; resolves with how long that took in ms. */
export function waitForPing(url: string, timeoutMs = 120_000): Promise<number> {
  return waitFor200(`${url}/ping`, timeoutMs);
}
