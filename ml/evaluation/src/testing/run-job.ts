import { spawn } from 'node:child_process';
import { REPO_ROOT, repoPath } from '@petal/stack';

export interface JobRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a job's CLI (e.g. `ml/evaluation/src/cli.ts`) the way `npm run` does, from the sources
 * (tsx, `source` condition), in the repository root, and collects its output and exit code.
 */
export function runJob(cli: string, args: readonly string[], env: Record<string, string> = {}): Promise<JobRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', repoPath(cli), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
