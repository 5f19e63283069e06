import {
  checkContract,
  consoleInfoSchema,
  errorBodySchema,
  executionDetailSchema,
  executionListSchema,
  modelActionAnswerSchema,
  modelDetailSchema,
  modelListSchema,
  startRunAnswerSchema,
  stepLogSchema,
  type ConsoleParameterValue,
  type ModelAction,
} from '@petal/contracts';
import type * as z from 'zod/mini';

export type ConsoleErrorKind = 'unauthorized' | 'off' | 'unavailable' | 'network' | 'other';

/** A failed console call: what to tell the person (`kind`) and the server's own words (`detail`). */
export class ConsoleApiError extends Error {
  constructor(
    readonly kind: ConsoleErrorKind,
    readonly detail: string,
    readonly code?: string,
  ) {
    super(detail);
    this.name = 'ConsoleApiError';
  }
}

const KIND_BY_CODE: Partial<Record<string, ConsoleErrorKind>> = {
  CONSOLE_UNAUTHORIZED: 'unauthorized',
  CONSOLE_ACTIONS_OFF: 'off',
  CONSOLE_UNAVAILABLE: 'unavailable',
};

export interface ConsoleApi {
  info(): Promise<z.infer<typeof consoleInfoSchema>>;
  executions(): Promise<z.infer<typeof executionListSchema>>;
  execution(id: string): Promise<z.infer<typeof executionDetailSchema>>;
  stepLog(id: string, step: string): Promise<z.infer<typeof stepLogSchema>>;
  startRun(parameters: Record<string, ConsoleParameterValue>): Promise<z.infer<typeof startRunAnswerSchema>>;
  models(): Promise<z.infer<typeof modelListSchema>>;
  model(version: number): Promise<z.infer<typeof modelDetailSchema>>;
  act(version: number, action: ModelAction, reason?: string): Promise<z.infer<typeof modelActionAnswerSchema>>;
}

/** The console's API on this origin; `token()` is the admin token the person entered, if any. */
export function createConsoleApi(token: () => string): ConsoleApi {
  async function call<T>(schema: z.ZodMiniType<T>, path: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`/api/console${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
    } catch (err) {
      throw new ConsoleApiError('network', (err as Error).message);
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const error = checkContract(errorBodySchema, body);
      const code = error.ok ? error.value.error.code : undefined;
      throw new ConsoleApiError((code ? KIND_BY_CODE[code] : undefined) ?? 'other', error.ok ? error.value.error.message : `HTTP ${res.status}`, code);
    }
    const checked = checkContract(schema, body);
    if (!checked.ok) throw new ConsoleApiError('other', `unexpected answer: ${checked.problem}`);
    return checked.value;
  }
  const enc = encodeURIComponent;
  return {
    info: () => call(consoleInfoSchema, '/info'),
    executions: () => call(executionListSchema, '/executions'),
    execution: (id) => call(executionDetailSchema, `/executions/${enc(id)}`),
    stepLog: (id, step) => call(stepLogSchema, `/executions/${enc(id)}/logs/${enc(step)}`),
    startRun: (parameters) => call(startRunAnswerSchema, '/executions', { method: 'POST', body: { parameters } }),
    models: () => call(modelListSchema, '/models'),
    model: (version) => call(modelDetailSchema, `/models/${version}`),
    act: (version, action, reason) => call(modelActionAnswerSchema, `/models/${version}/${action}`, { method: 'POST', body: reason ? { reason } : {} }),
  };
}
