import { createContext, useContext } from 'react';
import type { Lang } from '../client/lib/i18n.js';
import { CONSOLE_MESSAGES, type ConsoleMessages } from './messages.js';

export interface ConsoleI18n {
  lang: Lang;
  t: ConsoleMessages;
  setLang: (lang: Lang) => void;
}

export const ConsoleI18nContext = createContext<ConsoleI18n>({ lang: 'en', t: CONSOLE_MESSAGES.en, setLang: () => undefined });

export const useI18n = (): ConsoleI18n => useContext(ConsoleI18nContext);
