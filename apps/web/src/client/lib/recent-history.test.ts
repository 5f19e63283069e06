// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { addRecent, clearRecent, loadRecent, RECENT_STORAGE_KEY, type RecentEntry } from './recent-history.js';

const entry = (i: number, thumb?: string): RecentEntry => ({
  id: `id-${i}`,
  at: 1_700_000_000_000 + i,
  fileName: `photo-${i}.jpg`,
  ...(thumb ? { thumb } : {}),
  result: { no: i % 3, name: `flower ${i}`, acc: 0.9 },
  confident: true,
  top: [{ no: i % 3, key: 'astilbe', name: `flower ${i}`, probability: 0.9 }],
});

/** sessionStorage with a tiny quota, to see what happens when the thumbnails do not fit. */
function tinyStorage(quota: number): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    key: (i) => [...data.keys()][i] ?? null,
    getItem: (k) => data.get(k) ?? null,
    removeItem: (k) => void data.delete(k),
    setItem: (k, v) => {
      if (v.length > quota) throw new DOMException('full', 'QuotaExceededError');
      data.set(k, v);
    },
  };
}

describe('recent classifications (sessionStorage)', () => {
  beforeEach(() => sessionStorage.clear());

  it('keeps newest first, capped, and survives a reload', () => {
    for (let i = 0; i < 15; i += 1) addRecent(sessionStorage, entry(i), 5);
    const loaded = loadRecent(sessionStorage);
    expect(loaded.map((e) => e.id)).toEqual(['id-14', 'id-13', 'id-12', 'id-11', 'id-10']);
  });

  it('clears', () => {
    addRecent(sessionStorage, entry(1));
    expect(clearRecent(sessionStorage)).toEqual([]);
    expect(loadRecent(sessionStorage)).toEqual([]);
    expect(sessionStorage.getItem(RECENT_STORAGE_KEY)).toBeNull();
  });

  it('drops entries it cannot trust instead of failing', () => {
    sessionStorage.setItem(RECENT_STORAGE_KEY, '{not json');
    expect(loadRecent(sessionStorage)).toEqual([]);
    sessionStorage.setItem(RECENT_STORAGE_KEY, JSON.stringify([entry(1), { id: 3 }, { ...entry(2), thumb: 'javascript:alert(1)' }]));
    expect(loadRecent(sessionStorage).map((e) => e.id)).toEqual(['id-1']);
  });

  it('gives up old entries, then thumbnails, when storage is full', () => {
    const thumb = `data:image/jpeg;base64,${'A'.repeat(3_000)}`;
    const storage = tinyStorage(7_000);
    addRecent(storage, entry(1, thumb));
    addRecent(storage, entry(2, thumb));
    const third = addRecent(storage, entry(3, thumb));
    expect(third[0]!.id).toBe('id-3');
    expect(third.length).toBe(2);
    const tiny = tinyStorage(1_000);
    const kept = addRecent(tiny, entry(4, thumb));
    expect(kept).toHaveLength(1);
    expect(kept[0]!.thumb).toBeUndefined();
    expect(loadRecent(tiny)[0]!.id).toBe('id-4');
  });
});
