export { DATA_DIR, MODEL_DIR, REPO_ROOT, findRepoRoot, hasModelAt, repoPath } from './layout.js';
export { LISTEN_ENV, SERVICES, SERVICE_NAMES, type ServiceDescription, type ServiceLink, type ServiceName } from './services.js';
export { loopbackUrl, startOrder, wiringEnv, type ServiceUrls } from './wiring.js';
export {
  entryPath,
  freePort,
  launchArgs,
  spawnService,
  startStack,
  waitFor200,
  type LaunchMode,
  type RunningStack,
  type ServiceProcess,
  type SpawnOptions,
  type StackOptions,
} from './processes.js';
