import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { LockOwner } from './store.js';

export const lockOwnerSchema = z.object({
  token: z.string().min(1),
  pid: z.number().int(),
  host: z.string(),
  createdAt: z.string(),
});

export function newLockOwner(): LockOwner {
  return { token: randomUUID(), pid: process.pid, host: hostname(), createdAt: new Date().toISOString() };
}

/** A lock's text as its owner, or undefined when it is unreadable (half-written by a crashed process). */
export function parseLockOwner(text: string): LockOwner | undefined {
  try {
    const parsed = lockOwnerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Backoff between attempts: short at first (locks are held for milliseconds), jittered so waiters spread out. */
export function retryDelay(attempt: number): number {
  const base = Math.min(10 * 2 ** Math.min(attempt, 4), 160);
  return base / 2 + Math.random() * base;
}

export const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));
