/**
 * The container engine behind `npm run images` and the container smoke test: Docker where a Docker
 * daemon answers, else podman (what CI and this project's machines have: no daemon, rootful podman with
 * locally built `node:<major>-bookworm-slim` stand-ins, see containers/README.md). PETAL_CONTAINER_ENGINE
 * (docker | podman) chooses explicitly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_ROOT, repoPath } from '@petal/stack';

export type EngineName = 'docker' | 'podman';

export interface Engine {
  name: EngineName;
  /** Flags `build` needs on this engine (podman: Docker's image format, which keeps HEALTHCHECK). */
  buildFlags: string[];
  /** How to run compose: `docker compose`, or podman-compose / docker-compose. */
  compose: string[] | undefined;
}

/** The images `containers/Dockerfile` builds, by target name; each is tagged `petal-<name>`. */
export const IMAGE_NAMES = ['web', 'was', 'endpoint', 'training'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export const DOCKERFILE = 'containers/Dockerfile';

const succeeds = (command: string, args: string[]): boolean => {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
};

function composeFor(name: EngineName): string[] | undefined {
  if (name === 'docker' && succeeds('docker', ['compose', 'version'])) return ['docker', 'compose'];
  if (name === 'podman' && succeeds('podman-compose', ['version'])) return ['podman-compose'];
  if (succeeds('docker-compose', ['version'])) return ['docker-compose'];
  return undefined;
}

/** The engine to use, or undefined when neither a Docker daemon nor podman is there. */
export function detectEngine(env: NodeJS.ProcessEnv = process.env): Engine | undefined {
  const wanted = env.PETAL_CONTAINER_ENGINE;
  if (wanted !== undefined && wanted !== 'docker' && wanted !== 'podman') {
    throw new Error(`PETAL_CONTAINER_ENGINE must be docker or podman, not "${wanted}"`);
  }
  // A docker CLI without a daemon (as here) is no engine: `docker info` tells them apart.
  const candidates: EngineName[] = wanted ? [wanted] : ['docker', 'podman'];
  const name = candidates.find((c) => (c === 'docker' ? succeeds('docker', ['info']) : succeeds('podman', ['--version'])));
  if (!name) return undefined;
  return { name, buildFlags: name === 'podman' ? ['--format', 'docker'] : [], compose: composeFor(name) };
}

/** Runs a command with its output shown; rejects with the exit status when it fails. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolveRun() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/** Runs a command and returns its trimmed standard output; throws with its standard error when it fails. */
export function capture(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`}): ${(result.stderr ?? '').trim()}`);
  }
  return result.stdout.trim();
}

/** `<git short sha>`, with `-dirty` when the working tree has uncommitted changes (the image holds them). */
export function gitTag(): string {
  const sha = capture('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = capture('git', ['status', '--porcelain', '--untracked-files=no']) !== '';
  return dirty ? `${sha}-dirty` : sha;
}

/** The base image the Dockerfile's `ARG NODE_IMAGE=` names (every image starts from it). */
export function baseImage(dockerfile = repoPath(DOCKERFILE)): string {
  const match = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(dockerfile, 'utf8'));
  if (!match?.[1]) throw new Error(`${dockerfile} has no ARG NODE_IMAGE=<image> line`);
  return match[1];
}

/** An image's size in bytes as the engine reports it (all layers, uncompressed). */
export function imageSize(engine: Engine, image: string): number {
  const size = Number(capture(engine.name, ['image', 'inspect', '--format', '{{.Size}}', image]));
  if (!Number.isFinite(size)) throw new Error(`could not read the size of ${image}`);
  return size;
}

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
