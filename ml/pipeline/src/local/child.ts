import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface JobProcess {
  /** Resolves with the exit code (null when a signal ended it) once the log is flushed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the whole process group (npm, tsx, node), SIGKILL after `graceMs`. */
  kill(graceMs?: number): Promise<void>;
  pid: number | undefined;
}

/**
 * Runs `npm run --silent <script> -- <args>` in `cwd` as its own process group (so one signal stops npm
 * and the job under it), every output line appended to `logPath` and passed to `onLine`.
 */
export function runJob(options: { script: string; args: readonly string[]; cwd: string; logPath: string; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv }): JobProcess {
  const log = createWriteStream(options.logPath, { flags: 'a' });
  log.write(`$ npm run ${options.script} -- ${options.args.join(' ')}\n`);
  const child = spawn('npm', ['run', '--silent', options.script, '--', ...options.args], {
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const split = () => {
    let rest = '';
    return (chunk: Buffer) => {
      log.write(chunk);
      rest += chunk.toString();
      const lines = rest.split(/\r?\n|\r/);
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine?.(line);
    };
  };
  child.stdout.on('data', split());
  child.stderr.on('data', split());
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      log.end(`\n[exit ${code ?? signal}]\n`, () => resolve({ code, signal }));
    };
    child.on('error', (err) => {
      log.write(`\n${err.message}\n`);
      finish(127, null);
    });
    child.on('close', finish);
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    pid: child.pid,
    exited,
    kill: async (graceMs = 5000) => {
      if (done) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
