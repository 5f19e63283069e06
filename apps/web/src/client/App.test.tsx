// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Lang } from '@petal/catalog';
import type { ClassifyAnswer, StatusAnswer } from '@petal/contracts';
import { App } from './App.js';
import { ApiCallError, type ApiClient } from './lib/api-client.js';
import { LANG_STORAGE_KEY } from './lib/i18n.js';
import { RECENT_STORAGE_KEY } from './lib/recent-history.js';

// The BFF itself is exercised over real HTTP in server.test.ts and the whole chain in e2e.test.ts; here
// the UI is driven through its ApiClient seam with controllable answers, to see every state it can show.
interface Call {
  fileName: string;
  lang: Lang;
  resolve: (r: ClassifyAnswer) => void;
  reject: (e: unknown) => void;
}

function controllableApi(status?: StatusAnswer) {
  const calls: Call[] = [];
  const api: ApiClient = {
    classify: (_image, fileName, lang) => new Promise((resolve, reject) => calls.push({ fileName, lang, resolve, reject })),
    status: async () => {
      if (!status) throw new ApiCallError({ kind: 'network' });
      return status;
    },
  };
  return { api, calls };
}

const bellflower = (acc: number, confident: boolean): ClassifyAnswer => ({
  result: { no: 1, name: 'Bellflower', acc, description: 'Campanula: nodding or upturned bell-shaped blossoms' },
  top: [
    { no: 1, key: 'bellflower', name: 'Bellflower', probability: acc },
    { no: 0, key: 'astilbe', name: 'Astilbe', probability: (1 - acc) * 0.7 },
    { no: 2, key: 'black_eyed_susan', name: 'Black-eyed Susan', probability: (1 - acc) * 0.3 },
  ],
  model: { name: 'flower-classifier', version: '1.0.0' },
  lang: 'en',
  elapsedMs: 21,
  confident,
  verdict: confident ? 'flower' : 'unsure',
});

const passThrough = async (blob: Blob, fileName: string) => ({ blob, fileName, downscaled: false });
const noThumb = async () => 'data:image/jpeg;base64,AAAA';

const withLabels = (labels = ['astilbe', 'bellflower', 'black_eyed_susan']): StatusAnswer => ({
  web: { state: 'up', uptimeS: 5, version: '0.1.0' },
  was: { state: 'up', ready: true },
  endpoint: { state: 'up' },
  model: { name: 'flower-classifier', version: '1.0.0', labels, source: 'endpoint' },
  checkedAt: new Date().toISOString(),
});

/** Chooses a file; `drawn` plays the browser's part (happy-dom decodes no images): the preview loaded, or failed. */
function pickFile(name = 'garden.jpg', type = 'image/jpeg', drawn: 'load' | 'error' | 'none' = 'load', bytes = 7) {
  const input = screen.getByTestId('file-input') as HTMLInputElement;
  const file = new File([new Uint8Array(bytes).fill(0xff)], name, { type });
  fireEvent.change(input, { target: { files: [file] } });
  if (drawn === 'load') fireEvent.load(screen.getByTestId('preview'));
  if (drawn === 'error') fireEvent.error(screen.getByTestId('preview'));
  return file;
}

describe('the classifier UI', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location.hash = '';
  });
  afterEach(() => cleanup());

  it('walks idle → preview → busy → result: the known flowers, focus on Identify then on the answer, the photo beside it', async () => {
    const { api, calls } = controllableApi(withLabels());
    render(<App api={api} languages={['en-US']} prepare={passThrough} thumbnail={noThumb} />);
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
    // The first screen lists the model's classes (from /api/status), each a one-click sample.
    const known = await screen.findByTestId('known');
    expect(within(known).getByRole('heading').textContent).toBe('Petal knows 3 flowers');
    expect(within(known).getAllByTestId('known-flower').map((li) => li.textContent)).toEqual(['Astilbe', 'Bellflower', 'Black-eyed Susan']);
    expect(within(known).getByTestId('sample-astilbe').getAttribute('aria-label')).toBe('Try with the sample picture of Astilbe');
    expect(screen.getByText('Photos you identify appear here until you close the tab.')).toBeTruthy();

    pickFile();
    const preview = screen.getByTestId('preview') as HTMLImageElement;
    expect(preview.alt).toBe('The chosen photo: garden.jpg');
    expect(screen.getByTestId('placeholder')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('classify')));
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(screen.getByTestId('busy').textContent).toContain('Identifying…');
    expect((screen.getByTestId('classify') as HTMLButtonElement).disabled).toBe(true);
    expect(calls[0]!.lang).toBe('en');
    expect(calls[0]!.fileName).toBe('garden.jpg');

    await act(async () => calls[0]!.resolve(bellflower(0.86, true)));
    const result = await screen.findByTestId('result');
    const heading = within(result).getByTestId('result-name');
    expect(heading.textContent).toBe('Bellflower');
    await waitFor(() => expect(document.activeElement).toBe(heading));
    // Announced once: by the focus move, with no live region around it to read it a second time.
    expect(result.closest('[aria-live]')).toBeNull();
    expect((within(result).getByTestId('result-photo') as HTMLImageElement).src).toBe(preview.src);
    expect((within(result).getByTestId('result-reference') as HTMLImageElement).getAttribute('src')).toBe('/samples/bellflower.jpg');
    // The other candidates, without the answer repeated as their first line.
    expect(within(result).getAllByTestId('candidate').map((c) => c.textContent)).toEqual([expect.stringContaining('Astilbe'), expect.stringContaining('Black-eyed Susan')]);
    const meter = within(result).getAllByRole('meter')[0]!;
    expect(meter.getAttribute('aria-valuenow')).toBe('86');
    expect(meter.getAttribute('aria-valuetext')).toBe('86%');
    expect(screen.queryByTestId('busy')).toBeNull();

    const items = await screen.findAllByTestId('recent-item');
    expect(items).toHaveLength(1);
    expect(items[0]!.textContent).toContain('Bellflower');
    expect(JSON.parse(sessionStorage.getItem(RECENT_STORAGE_KEY)!)).toHaveLength(1);
    fireEvent.click(screen.getByTestId('clear-recent'));
    expect(screen.queryAllByTestId('recent-item')).toHaveLength(0);
    expect(sessionStorage.getItem(RECENT_STORAGE_KEY)).toBeNull();

    fireEvent.click(screen.getByTestId('clear'));
    expect(screen.queryByTestId('preview')).toBeNull();
    expect(screen.queryByTestId('result')).toBeNull();
  });

  it('lets "Choose a file" lead where the browser cannot tell whether there is a camera', () => {
    // happy-dom has no navigator.mediaDevices, as a browser outside a secure context: the capture input
    // (a phone opens its camera for it) is offered, but not as the main button, and no in-page camera.
    render(<App api={controllableApi().api} languages={['en']} />);
    const primary = [...document.querySelectorAll('.picker-buttons .btn--primary')].map((b) => b.textContent);
    expect(primary).toEqual(['Choose a file']);
    expect(screen.queryByTestId('camera-open')).toBeNull();
    const capture = screen.getByTestId('camera-input').closest('label')!;
    expect(capture.hidden).toBe(false);
    expect(capture.className).toContain('btn--secondary');
  });

  it('says honest percentages: >99% for a near-certain answer, <1% for a faint candidate', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['en']} prepare={passThrough} thumbnail={noThumb} />);
    pickFile();
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.resolve(bellflower(0.9995, true)));
    const result = await screen.findByTestId('result');
    const texts = within(result).getAllByRole('meter').map((m) => m.getAttribute('aria-valuetext'));
    expect(texts).toEqual(['>99%', '<1%', '<1%']);
    expect(result.textContent).not.toContain('100%');
  });

  it('names no flower for an `unknown` answer, and says how many flowers Petal knows', async () => {
    const { api, calls } = controllableApi(withLabels());
    render(<App api={api} languages={['en']} prepare={passThrough} thumbnail={noThumb} />);
    await screen.findByTestId('known');
    pickFile('cat.jpg');
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.resolve({ ...bellflower(0.62, false), verdict: 'unknown' }));
    const result = await screen.findByTestId('result');
    expect(result.getAttribute('data-verdict')).toBe('unknown');
    expect(within(result).getByTestId('result-name').textContent).toBe('This does not look like a flower Petal knows');
    expect(result.textContent).toContain('It is not one of the 3 flowers Petal knows.');
    expect(result.textContent).not.toContain('Bellflower');
    expect(within(result).queryByTestId('result-reference')).toBeNull();
    expect(within(result).queryAllByTestId('candidate')).toHaveLength(0);
    const recent = await screen.findAllByTestId('recent-item');
    expect(recent[0]!.textContent).toContain('Not a flower Petal knows');
  });

  it('says "not sure" for a low-confidence answer', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['en']} prepare={passThrough} thumbnail={noThumb} />);
    pickFile();
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.resolve(bellflower(0.41, false)));
    const result = await screen.findByTestId('result');
    expect(result.getAttribute('data-verdict')).toBe('unsure');
    expect(within(result).getByTestId('result-name').textContent).toBe('Not sure which flower this is');
    expect(result.textContent).toContain('It might be Bellflower, but the model is not confident.');
    // Candidates as candidates: all of them, the likeliest first, none promoted to the answer.
    expect(within(result).getByRole('heading', { level: 3 }).textContent).toBe('It could be');
    expect(within(result).getAllByTestId('candidate')).toHaveLength(3);
    expect(within(result).queryByTestId('result-reference')).toBeNull();
  });

  it('explains API errors in the current language: a busy service in one sentence, Try again counting down, codes only in the details', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['ko-KR']} prepare={passThrough} thumbnail={noThumb} />);
    expect(document.documentElement.lang).toBe('ko');
    pickFile();
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.reject(new ApiCallError({ kind: 'busy', status: 503, code: 'MODEL_BUSY', serverMessage: 'queue full', retryAfterS: 2 })));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('지금은 Petal이 바쁩니다.');
    const retry = screen.getByTestId('retry') as HTMLButtonElement;
    expect(retry.disabled).toBe(true);
    expect(retry.textContent).toBe('다시 시도 (2)');
    const notice = screen.getByTestId('error');
    // The codes are kept for a bug report, behind a toggle, never in the sentence itself.
    expect(within(notice).getByText('자세히').closest('details')).toBeTruthy();
    expect(notice.querySelector('details')!.textContent).toContain('HTTP 503 · MODEL_BUSY · queue full');
    expect(alert.textContent).not.toMatch(/503|MODEL_BUSY/);

    fireEvent.click(screen.getByTestId('lang-en'));
    expect(screen.getByRole('alert').textContent).toBe('Petal is busy right now.');
    await waitFor(() => expect((screen.getByTestId('retry') as HTMLButtonElement).disabled).toBe(false), { timeout: 4000 });
    expect(screen.getByTestId('retry').textContent).toBe('Try again');
    fireEvent.click(screen.getByTestId('retry'));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]!.lang).toBe('en');
    await act(async () => calls[1]!.reject(new ApiCallError({ kind: 'not_image', status: 415 })));
    const notImage = await screen.findByRole('alert');
    expect(notImage.textContent).toContain('That file is not an image');
    expect(screen.queryByTestId('retry')).toBeNull();
  });

  it('refuses an empty file before any upload, and keeps nothing of it', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['en']} prepare={passThrough} thumbnail={noThumb} />);
    pickFile('empty.jpg', 'image/jpeg', 'none', 0);
    expect((await screen.findByRole('alert')).textContent).toContain('This file is empty');
    expect(screen.queryByTestId('preview')).toBeNull();
    expect(screen.queryByTestId('classify')).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('does not offer a file the browser cannot draw for identification, and calls it not an image', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['en']} prepare={passThrough} thumbnail={noThumb} />);
    pickFile('notes.txt', 'text/plain', 'none', 10 * 1024 * 1024);
    // Not offered before the browser has drawn it, either.
    expect(screen.queryByTestId('classify')).toBeNull();
    fireEvent.error(screen.getByTestId('preview'));
    expect((await screen.findByRole('alert')).textContent).toContain('That file is not an image');
    expect(screen.getByTestId('not-previewable')).toBeTruthy();
    expect(screen.queryByTestId('classify')).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('refuses a photo too large to send without uploading it', async () => {
    const { api, calls } = controllableApi();
    const huge = async (_blob: Blob, fileName: string) => ({ blob: new Blob([new Uint8Array(6 * 1024 * 1024 + 1)]), fileName, downscaled: false });
    render(<App api={api} languages={['en']} prepare={huge} thumbnail={noThumb} />);
    pickFile('huge.tiff', 'image/tiff');
    fireEvent.click(screen.getByTestId('classify'));
    expect((await screen.findByRole('alert')).textContent).toContain('The photo is too large');
    expect(calls).toHaveLength(0);
  });

  it('switches language, re-localizes a shown answer, and remembers the choice', async () => {
    const { api, calls } = controllableApi();
    const { unmount } = render(<App api={api} languages={['en-US']} prepare={passThrough} thumbnail={noThumb} />);
    pickFile();
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.resolve(bellflower(0.9, true)));
    await screen.findByTestId('result');
    fireEvent.click(screen.getByTestId('lang-ko'));
    expect(screen.getByTestId('result-name').textContent).toBe('초롱꽃');
    expect(screen.getByTestId('lang-ko').getAttribute('aria-pressed')).toBe('true');
    expect(localStorage.getItem(LANG_STORAGE_KEY)).toBe('ko');
    expect(document.documentElement.lang).toBe('ko');
    expect(screen.getAllByTestId('recent-item')[0]!.textContent).toContain('초롱꽃');
    unmount();
    render(<App api={api} languages={['en-US']} prepare={passThrough} thumbnail={noThumb} />);
    expect(screen.getByTestId('nav-classify').textContent).toBe('꽃 알아보기');
    expect(screen.getAllByTestId('recent-item')).toHaveLength(1);
  });

  it('shows the system status view from #status, and says so when it cannot load it', async () => {
    const status: StatusAnswer = {
      web: { state: 'up', uptimeS: 5, version: '0.1.0' },
      was: { state: 'degraded', ready: false, latencyMs: 3, detail: 'alive but not ready to classify' },
      endpoint: { state: 'down', detail: 'unreachable' },
      model: { name: 'flower-classifier', version: '2024.1', accuracy: 0.943, labels: ['a', 'b', 'c'], source: 'endpoint' },
      checkedAt: new Date().toISOString(),
    };
    location.hash = '#status';
    render(<App api={controllableApi(status).api} languages={['en']} />);
    const view = await screen.findByTestId('status-view');
    await within(view).findByTestId('status-model');
    expect(within(view).getByTestId('status-was').textContent).toContain('Degraded');
    expect(within(view).getByTestId('status-endpoint').textContent).toContain('Down');
    expect(within(view).getByTestId('status-model').textContent).toContain('94.3%');
    expect(within(view).getByTestId('status-classes').textContent).toBe('a, b, c');
    expect(screen.getAllByRole('heading', { level: 1 }).map((h) => h.textContent)).toEqual(['System status']);
    expect(screen.getByTestId('nav-status').getAttribute('aria-current')).toBe('page');
    cleanup();
    render(<App api={controllableApi(undefined).api} languages={['ko']} />);
    expect((await screen.findByRole('alert')).textContent).toContain('상태를 불러오지 못했습니다');
  });
});
