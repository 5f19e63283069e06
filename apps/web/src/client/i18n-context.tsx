import { createContext, useContext } from 'react';
import type { Lang } from '@petal/catalog';
import { messagesFor } from './lib/i18n.js';
import type { Messages } from './lib/messages.js';

export interface I18n {
  lang: Lang;
  t: Messages;
  setLang: (lang: Lang) => void;
}

export const I18nContext = createContext<I18n>({ lang: 'en', t: messagesFor('en'), setLang: () => undefined });

export function useI18n(): I18n {
  return useContext(I18nContext);
}
