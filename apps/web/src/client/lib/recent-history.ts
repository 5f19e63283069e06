import type { Candidate, Verdict } from '@petal/contracts';

export const RECENT_STORAGE_KEY = 'petal.recent';
export const RECENT_MAX = 12;

/** One classification this browser session made, as the history list shows it. */
export interface RecentEntry {
  id: string;
  at: number;
  fileName: string;
  /** Small JPEG data: URL; absent when the browser could not make one. */
  thumb?: string;
  result: { no: number; name: string; acc: number };
  confident: boolean;
  /** Absent in entries kept by an earlier version of the page. */
  verdict?: Verdict;
  top: Candidate[];
}

function isEntry(v: unknown): v is RecentEntry {
  if (!v || typeof v !== 'object') return false;
  const e = v as Partial<RecentEntry>;
  return (
    typeof e.id === 'string' &&
    typeof e.at === 'number' &&
    typeof e.fileName === 'string' &&
    (e.thumb === undefined || (typeof e.thumb === 'string' && e.thumb.startsWith('data:image/'))) &&
    !!e.result &&
    typeof e.result.no === 'number' &&
    typeof e.result.name === 'string' &&
    typeof e.result.acc === 'number' &&
    typeof e.confident === 'boolean' &&
    (e.verdict === undefined || e.verdict === 'flower' || e.verdict === 'unsure' || e.verdict === 'unknown') &&
    Array.isArray(e.top)
  );
}

/** Reads the history; anything unreadable (another version's format, a hand edit) is dropped, not fatal. */
export function loadRecent(storage: Storage | undefined): RecentEntry[] {
  try {
    const raw = storage?.getItem(RECENT_STORAGE_KEY);
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isEntry).slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

function save(storage: Storage | undefined, entries: RecentEntry[]): boolean {
  try {
    storage?.setItem(RECENT_STORAGE_KEY, JSON.stringify(entries));
    return true;
  } catch {
    return false; // quota exceeded or storage disabled
  }
}

/**
 * Adds an entry newest first and keeps at most `max`. When storage is full, the oldest entries go first,
 * then the thumbnails: the answer matters more than the picture.
 */
export function addRecent(storage: Storage | undefined, entry: RecentEntry, max = RECENT_MAX): RecentEntry[] {
  let entries = [entry, ...loadRecent(storage).filter((e) => e.id !== entry.id)].slice(0, max);
  while (!save(storage, entries) && entries.length > 1) entries = entries.slice(0, -1);
  if (!save(storage, entries)) {
    entries = entries.map(({ thumb: _thumb, ...rest }) => rest);
    save(storage, entries);
  }
  return entries;
}

export function clearRecent(storage: Storage | undefined): RecentEntry[] {
  try {
    storage?.removeItem(RECENT_STORAGE_KEY);
  } catch {
    // nothing more to do
  }
  return [];
}
