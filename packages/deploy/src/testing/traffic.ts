/**
 * A client that keeps classifying while a deploy runs, the way real traffic would: it records every
 * answer's status and which model gave it, so a test can assert that no request failed during a swap.
 */
import { invocationAnswerSchema } from '@petal/contracts';

export interface TrafficRecord {
  ok: number;
  failures: string[];
  /** `name@version` of the model that answered, each time it changed: the swaps as traffic saw them. */
  models: string[];
}

export function keepClassifying(url: string, image: Uint8Array, concurrency = 2): { stop: () => Promise<TrafficRecord> } {
  const record: TrafficRecord = { ok: 0, failures: [], models: [] };
  let running = true;
  let done = 0;
  let stopAfter = Infinity;
  const loop = async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/invocations`, { method: 'POST', body: image, headers: { 'content-type': 'image/jpeg' } });
        const body: unknown = await res.json();
        const answer = invocationAnswerSchema.safeParse(body);
        if (res.status !== 200 || !answer.success) {
          record.failures.push(`${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
        } else {
          record.ok++;
          const model = answer.data.model ? `${answer.data.model.name}@${answer.data.model.version}` : 'unnamed';
          if (record.models.at(-1) !== model) record.models.push(model);
        }
      } catch (err) {
        record.failures.push((err as Error).message);
      }
      if (++done >= stopAfter) running = false;
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    /**
     * Stops after every loop has finished one more request than it had in flight, so the record ends with
     * answers to requests sent after the caller's last action (a request sent before a swap back may
     * legitimately be answered by the model swapped out).
     */
    stop: async () => {
      stopAfter = done + 2 * concurrency;
      await Promise.all(loops);
      return record;
    },
  };
}
