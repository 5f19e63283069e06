export type RegistryErrorCode = 'NOT_FOUND' | 'INVALID_TRANSITION' | 'NOT_APPROVED' | 'INVALID_INPUT' | 'NO_DEPLOYER';

/** A request the registry refuses (the CLI exits 2 with its message); anything else is a failure. */
export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}
