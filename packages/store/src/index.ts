export type { ArtifactStore, LockOptions, LockOwner } from './store.js';
export { DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, LOCKS_PREFIX, LockTimeoutError, StoreNotFoundError } from './store.js';
export { StoreDataError } from './json.js';
export { StoreKeyError, checkKey, joinKey } from './keys.js';
export { LocalStore, writeFileAtomic } from './local-store.js';
export { S3Store, defaultS3Client, parseS3Uri } from './s3-store.js';
export { normalizeStoreRoot, openStore, storeRootFromEnv } from './open-store.js';
