// The console's small toolkit, shared by every view and page: the element helper, the REST client (through
// session.js), labels and "{0}" texts, time formatting, and THE severity ranking of alarms (the one copy: the room's
// colours, the alarm list and the banner all rank with it).
import { t, lang } from './i18n.js';
import { api as call, ApiError } from './session.js';

/** Alarm severities, most severe first, as the server names them. */
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

/** Severity rank: higher is more severe (critical 4 … warning 1; anything else 0). */
export const SEVERITY_RANK = Object.freeze({ warning: 1, minor: 2, major: 3, critical: 4 });

/** The rank of a severity name (0 for none or an unknown name). */
export const severityRank = (severity) => SEVERITY_RANK[severity] ?? 0;

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'for' || k === 'role' || k === 'list') node.setAttribute(k, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const child of children.flat()) if (child != null && child !== false) node.append(child);
  return node;
}

/** "{0}" placeholders filled in order. */
export const fill = (text, ...args) => args.reduce((s, a, i) => s.replaceAll(`{${i}}`, String(a)), text);

/** The translation of prefix.value if there is one, else the value itself (an enum the table does not know yet). */
export function label(prefix, value) {
  if (value == null || value === '') return '—';
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

// Every call goes through session.js: JSON, the anti-forgery header, the sign-in redirects, the server's error text.
export { ApiError };

export const api = {
  get: (url) => call(url),
  post: (url, body = {}) => call(url, { method: 'POST', body }),
  put: (url, body = {}) => call(url, { method: 'PUT', body }),
  delete: (url) => call(url, { method: 'DELETE' }),
};

/** A list answer may be a bare array or a page ({ items, total }). */
export const itemsOf = (page) => (Array.isArray(page) ? page : page?.items ?? page?.tickets ?? page?.teams ?? []);

const locale = () => (lang() === 'zh' ? 'zh-CN' : 'en-GB');

export function formatDateTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(locale(), { hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatClock(value) {
  if (!value) return '—';
  return new Date(value).toLocaleTimeString(locale(), { hour12: false });
}

/** 95 → "1 min 35 s"; 7200 → "2 h 0 min". */
export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? '-' : '';
  if (s < 60) return `${sign}${s} ${t('unit.s')}`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} ${t('unit.min')} ${s % 60} ${t('unit.s')}`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)} ${t('unit.h')} ${Math.floor((s % 3600) / 60)} ${t('unit.min')}`;
  return `${sign}${Math.floor(s / 86400)} ${t('unit.d')} ${Math.floor((s % 86400) / 3600)} ${t('unit.h')}`;
}
