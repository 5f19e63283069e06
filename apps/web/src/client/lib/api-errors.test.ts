import { describe, expect, it } from 'vitest';
import { failureFromException, failureFromResponse, RETRYABLE, WAIT_THEN_RETRY, type ErrorKind } from './api-errors.js';
import { MESSAGES } from './messages.js';

const body = (code: string, message = 'm') => ({ error: { code, message } });

describe('API error mapping', () => {
  it.each([
    [413, 'PAYLOAD_TOO_LARGE', 'too_large'],
    [415, 'UNSUPPORTED_MEDIA_TYPE', 'not_image'],
    [422, 'IMAGE_REJECTED', 'unreadable'],
    [413, 'FILE_TOO_LARGE', 'too_large'],
    [422, 'SOMETHING', 'unreadable'],
    [400, 'MISSING_FILE', 'missing_file'],
    [415, 'UNSUPPORTED_IMAGE_TYPE', 'not_image'],
    [400, 'EMPTY_FILE', 'empty'],
    [503, 'ENDPOINT_UNAVAILABLE', 'unavailable'],
    [503, 'SHUTTING_DOWN', 'busy'],
    [429, 'RATE_LIMITED', 'rate_limited'],
    [503, 'MODEL_BUSY', 'busy'],
    [503, 'UPSTREAM_UNAVAILABLE', 'unavailable'],
    [502, 'BAD_GATEWAY', 'unavailable'],
    [504, 'UPSTREAM_TIMEOUT', 'timeout'],
    [500, 'INTERNAL_ERROR', 'unavailable'],
    [418, 'TEAPOT', 'unknown'],
  ] as const)('%i %s → %s', (status, code, kind) => {
    const f = failureFromResponse(status, body(code));
    expect(f.kind).toBe(kind);
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
  });

  it('maps by status when the body is not the JSON contract', () => {
    expect(failureFromResponse(413, undefined).kind).toBe('too_large');
    expect(failureFromResponse(503, '<html>').kind).toBe('busy');
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(failureFromResponse(503, body('MODEL_BUSY'), '7').retryAfterS).toBe(7);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const s = failureFromResponse(429, body('RATE_LIMITED'), inTenSeconds).retryAfterS!;
    expect(s).toBeGreaterThanOrEqual(8);
    expect(s).toBeLessThanOrEqual(11);
    expect(failureFromResponse(503, body('X'), 'soon').retryAfterS).toBeUndefined();
  });

  it('tells a dropped network from our own timeout', () => {
    expect(failureFromException(new TypeError('Failed to fetch')).kind).toBe('network');
    expect(failureFromException(new DOMException('timed out', 'TimeoutError')).kind).toBe('timeout');
    expect(failureFromException(new Error('weird')).kind).toBe('unknown');
  });

  it('explains every kind in both languages, and offers retry only where it can help', () => {
    for (const lang of ['ko', 'en'] as const) {
      for (const [kind, text] of Object.entries(MESSAGES[lang].errors)) {
        expect(text.title.length, `${lang}.${kind}`).toBeGreaterThan(3);
        // A busy or rate-limited service gets one sentence (its Try again counts down); the rest say what to do.
        if (WAIT_THEN_RETRY.has(kind as ErrorKind)) expect(text.hint, `${lang}.${kind}`).toBe('');
        else expect(text.hint.length, `${lang}.${kind}`).toBeGreaterThan(3);
        expect(`${text.title} ${text.hint}`, `${lang}.${kind}`).not.toMatch(/HTTP|\b[45]\d\d\b|[A-Z]{3,}_[A-Z]/);
      }
    }
    expect(MESSAGES.en.errors.too_large.title).toBe('The photo is too large');
    expect(MESSAGES.ko.errors.not_image.title).toBe('이미지 파일이 아닙니다');
    expect(RETRYABLE.has('busy')).toBe(true);
    expect(RETRYABLE.has('network')).toBe(true);
    expect(RETRYABLE.has('not_image')).toBe(false);
    expect(RETRYABLE.has('too_large')).toBe(false);
  });
});
