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

function pickFile(name = 'garden.jpg', type = 'image/jpeg') {
  const input = screen.getByTestId('file-input') as HTMLInputElement;
  const file = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], name, { type });
  fireEvent.change(input, { target: { files: [file] } });
  return file;
}

describe('the classifier UI', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location.hash = '';
  });
  afterEach(() => cleanup());

  it('walks idle → preview → busy → result, with the answer announced and kept in the history', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['en-US']} prepare={passThrough} thumbnail={noThumb} />);
    expect(screen.getByTestId('placeholder')).toBeTruthy();
    expect(screen.getByText('Photos you identify appear here until you close the tab.')).toBeTruthy();

    pickFile();
    const preview = screen.getByTestId('preview') as HTMLImageElement;
    expect(preview.alt).toBe('The chosen photo: garden.jpg');
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(screen.getByTestId('busy').textContent).toContain('Identifying…');
    expect((screen.getByTestId('classify') as HTMLButtonElement).disabled).toBe(true);
    expect(calls[0]!.lang).toBe('en');
    expect(calls[0]!.fileName).toBe('garden.jpg');

    await act(async () => calls[0]!.resolve(bellflower(0.86, true)));
    const result = await screen.findByTestId('result');
    expect(within(result).getByTestId('result-name').textContent).toBe('Bellflower');
    expect(within(result).getAllByTestId('candidate')).toHaveLength(3);
    const meter = within(result).getAllByRole('meter')[0]!;
    expect(meter.getAttribute('aria-valuenow')).toBe('86');
    expect(meter.getAttribute('aria-valuetext')).toBe('86%');
    expect(result.closest('[aria-live="polite"]')).toBeTruthy();
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

  it('says "not sure" for a low-confidence answer', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['en']} prepare={passThrough} thumbnail={noThumb} />);
    pickFile();
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.resolve(bellflower(0.41, false)));
    const result = await screen.findByTestId('result');
    expect(result.getAttribute('data-confident')).toBe('false');
    expect(result.textContent).toContain('Not sure');
    expect(result.textContent).toContain('It might be Bellflower, but the model is not confident.');
  });

  it('explains API errors in the current language and retries the same photo', async () => {
    const { api, calls } = controllableApi();
    render(<App api={api} languages={['ko-KR']} prepare={passThrough} thumbnail={noThumb} />);
    expect(document.documentElement.lang).toBe('ko');
    pickFile('notes.txt', 'text/plain');
    fireEvent.click(screen.getByTestId('classify'));
    await waitFor(() => expect(calls).toHaveLength(1));
    await act(async () => calls[0]!.reject(new ApiCallError({ kind: 'busy', status: 503, code: 'MODEL_BUSY', retryAfterS: 3 })));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('서비스가 바쁩니다');
    expect(alert.textContent).toContain('3초 뒤에 다시 시도해 주세요.');

    fireEvent.click(screen.getByTestId('lang-en'));
    expect(screen.getByRole('alert').textContent).toContain('The service is busy');
    fireEvent.click(within(screen.getByRole('alert')).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]!.lang).toBe('en');
    await act(async () => calls[1]!.reject(new ApiCallError({ kind: 'not_image', status: 415 })));
    const notImage = await screen.findByRole('alert');
    expect(notImage.textContent).toContain('That file is not an image');
    expect(within(notImage).queryByRole('button')).toBeNull();
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
    expect(screen.getByTestId('nav-status').getAttribute('aria-current')).toBe('page');
    cleanup();
    render(<App api={controllableApi(undefined).api} languages={['ko']} />);
    expect((await screen.findByRole('alert')).textContent).toContain('상태를 불러오지 못했습니다');
  });
});
