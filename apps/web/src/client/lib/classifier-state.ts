import type { ClassifyAnswer } from '@petal/contracts';
import type { ApiFailure } from './api-errors.js';

/** The photo the person chose, as the UI holds it. */
export interface ChosenImage {
  file: Blob;
  fileName: string;
  /** blob: URL for the preview; revoked by whoever replaces or clears the image. */
  previewUrl: string;
}

export type ClassifierState =
  | { phase: 'idle' }
  | { phase: 'selected'; image: ChosenImage }
  | { phase: 'busy'; image: ChosenImage; attempt: number }
  | { phase: 'result'; image: ChosenImage; response: ClassifyAnswer }
  | { phase: 'error'; image?: ChosenImage; failure: ApiFailure };

export type ClassifierAction =
  | { type: 'select'; image: ChosenImage }
  | { type: 'clear' }
  /** `attempt` is a fresh id from the caller; the answer to this upload must quote it. */
  | { type: 'submit'; attempt: number }
  | { type: 'succeeded'; attempt: number; response: ClassifyAnswer }
  | { type: 'failed'; attempt: number; failure: ApiFailure }
  /**
   * An error found before any upload (an empty file, one the browser cannot draw). Without `image` the file
   * is not kept at all: there is nothing in it to show or send.
   */
  | { type: 'rejected'; image?: ChosenImage; failure: ApiFailure };

export const initialClassifierState: ClassifierState = { phase: 'idle' };

/**
 * idle → selected → busy → result | error. Answers carry the attempt they belong to, so an answer that
 * arrives after the person cleared or replaced the photo is ignored instead of showing a stale result.
 */
export function classifierReducer(state: ClassifierState, action: ClassifierAction): ClassifierState {
  switch (action.type) {
    case 'select':
      return { phase: 'selected', image: action.image };
    case 'clear':
      return { phase: 'idle' };
    case 'rejected':
      return action.image ? { phase: 'error', image: action.image, failure: action.failure } : { phase: 'error', failure: action.failure };
    case 'submit': {
      if (state.phase === 'idle' || state.phase === 'busy') return state;
      if (state.phase === 'error' && !state.image) return state;
      return { phase: 'busy', image: state.image!, attempt: action.attempt };
    }
    case 'succeeded':
      if (state.phase !== 'busy' || state.attempt !== action.attempt) return state;
      return { phase: 'result', image: state.image, response: action.response };
    case 'failed':
      if (state.phase !== 'busy' || state.attempt !== action.attempt) return state;
      return { phase: 'error', image: state.image, failure: action.failure };
  }
}

export function currentImage(state: ClassifierState): ChosenImage | undefined {
  return state.phase === 'idle' ? undefined : state.image;
}
