import { formatConfidence } from '../lib/i18n.js';
import { useI18n } from '../i18n-context.js';

/**
 * A bar drawn with a CSS custom property set through the CSSOM (React's style prop), which a strict
 * CSP permits; no inline style attribute reaches the HTML.
 */
export function ConfidenceBar({ value, label, tone = 'primary', small = false }: { value: number; label: string; tone?: 'primary' | 'muted' | 'warn'; small?: boolean }) {
  const { lang } = useI18n();
  const clamped = Math.min(1, Math.max(0, value));
  const text = formatConfidence(clamped, lang);
  return (
    <div className={`meter${small ? ' meter--small' : ''}`}>
      <div
        className={`meter__track meter__track--${tone}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(clamped * 1000) / 10}
        aria-valuetext={text}
      >
        <div className="meter__fill" style={{ width: `${clamped * 100}%` }} />
      </div>
      <span className="meter__value">{text}</span>
    </div>
  );
}
