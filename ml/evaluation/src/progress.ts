import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; in logs (SageMaker, CI) a plain line every few seconds instead, so long
 * steps still show they are alive without flooding the log.
 */
export function startProgress(label: string, total: number, unit: string, quiet = false): Progress {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(20)} {bar} {percentage}% | {value}/{total} ${unit} | {rate} | ETA {eta_formatted} {info}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { rate: '', info: '' });
  return {
    update(done, payload = {}) {
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? `${(done / seconds).toFixed(1)} ${unit}/s` : '';
      bar.update(done, { rate, info: Object.entries(payload).map(([k, v]) => `${k}=${v}`).join(' '), ...payload });
    },
    stop() {
      bar.stop();
    },
  };
}
