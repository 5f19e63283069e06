import { spawn } from 'node:child_process';
import type { ModelPackageStateChangeEvent } from './events.js';
import type { StateChangeHandler } from './types.js';

/**
 * A state-change handler that runs a shell command with the event JSON on its stdin: the local stand-in
 * for an EventBridge rule's target (`PETAL_REGISTRY_HOOK`). Its output goes to this process's stderr, so
 * `--json` output stays clean; a non-zero exit is an error naming the command.
 */
export function commandHook(command: string, options: { env?: NodeJS.ProcessEnv } = {}): StateChangeHandler {
  return (event: ModelPackageStateChangeEvent) =>
    new Promise<void>((ok, fail) => {
      const child = spawn(command, {
        shell: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          ...(options.env ?? process.env),
          PETAL_EVENT_GROUP: event.detail.ModelPackageGroupName,
          PETAL_EVENT_VERSION: String(event.detail.ModelPackageVersion),
          PETAL_EVENT_APPROVAL: event.detail.ModelApprovalStatus,
        },
      });
      let tail = '';
      const keep = (chunk: Buffer) => {
        process.stderr.write(chunk);
        tail = (tail + chunk.toString()).slice(-2_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', (err) => fail(new Error(`registry hook \`${command}\` could not start: ${err.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) ok();
        else fail(new Error(`registry hook \`${command}\` ${signal ? `was killed by ${signal}` : `exited ${code}`}${tail.trim() ? `: ${tail.trim().split('\n').at(-1)}` : ''}`));
      });
      child.stdin.on('error', () => undefined); // a hook that ignores its input may close stdin early
      child.stdin.end(`${JSON.stringify(event)}\n`);
    });
}

/** The hook named by `PETAL_REGISTRY_HOOK`, if any. */
export function hookFromEnv(env: NodeJS.ProcessEnv = process.env): StateChangeHandler | undefined {
  const command = env.PETAL_REGISTRY_HOOK?.trim();
  return command ? commandHook(command, { env }) : undefined;
}
