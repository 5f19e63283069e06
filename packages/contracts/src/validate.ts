import * as z from 'zod/mini';

type Issue = z.core.$ZodIssue;

const where = (issue: Issue) => (issue.path.length ? issue.path.map(String).join('.') : '(root)');

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** One issue in words a person fixing the sender can act on: "result.acc: expected number, got string". */
function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `${where(issue)}: expected ${issue.expected}${'input' in issue ? `, got ${kindOf(issue.input)}` : ''}`;
    case 'too_small':
      return `${where(issue)}: must be ${issue.origin === 'array' ? `at least ${String(issue.minimum)} items` : `>= ${String(issue.minimum)}`}`;
    case 'too_big':
      return `${where(issue)}: must be ${issue.origin === 'array' ? `at most ${String(issue.maximum)} items` : `<= ${String(issue.maximum)}`}`;
    case 'invalid_value':
      return `${where(issue)}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `${where(issue)}: unexpected field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    default:
      return `${where(issue)}: ${issue.message || issue.code}`;
  }
}

export function describeIssues(issues: readonly Issue[], limit = 3): string {
  const shown = issues.slice(0, limit).map(describeIssue);
  return issues.length > limit ? `${shown.join('; ')}; and ${issues.length - limit} more` : shown.join('; ');
}

export type ContractCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Checks a body against its contract; `problem` names the fields that are wrong. */
export function checkContract<T>(schema: z.ZodMiniType<T>, value: unknown): ContractCheck<T> {
  const result = schema.safeParse(value, { reportInput: true });
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: describeIssues(result.error.issues) };
}

/** A neighbour's body that breaks the contract; the message says whose body and which fields. */
export class ContractViolation extends Error {
  constructor(
    readonly what: string,
    readonly problem: string,
  ) {
    super(`${what} does not match the contract: ${problem}`);
    this.name = 'ContractViolation';
  }
}

/** Like `checkContract`, but throws ContractViolation (`what` names the body, e.g. "the endpoint's answer"). */
export function parseContract<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const checked = checkContract(schema, value);
  if (!checked.ok) throw new ContractViolation(what, checked.problem);
  return checked.value;
}
