/**
 * A problem with what the person or the pipeline asked for (arguments, data layout, a model that does
 * not fit the data): the jobs print it with their usage and exit 2, rather than as a crash.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** zod's issues as one line that names each wrong field: `files.3.sha256: Invalid string; version: …`. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
