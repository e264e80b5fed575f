// Customer progress notices in the tickets view (issue 23, branch "notices"): the hotline form's contact rows (the
// customer's email and language, the account manager) and the ticket's notice list (each notice with its state and
// every delivery attempt: sent, failed and retried, given up). The server decides what is sent when
// (device-profiles/notices); this module only shows it and collects the addresses.
import { t, addText } from './i18n.js';
import { el, formatDateTime } from './toolkit.js';

addText({
  zh: {
    'nt.title': '进度通知', 'nt.none': '暂无通知',
    'nt.email': '报告人邮箱', 'nt.language': '通知语言', 'nt.am': '客户经理', 'nt.amPhone': '客户经理电话', 'nt.amEmail': '客户经理邮箱', 'nt.amLanguage': '客户经理语言',
    'nt.lang.zh': '中文', 'nt.lang.en': '英文',
    'nt.state.pending': '待发送', 'nt.state.retrying': '重试中', 'nt.state.sent': '已发送', 'nt.state.gaveUp': '发送失败',
    'nt.step.accepted': '受理', 'nt.step.dispatched': '派单', 'nt.step.arrived': '到达现场', 'nt.step.resolved': '修复', 'nt.step.overdue': '超时',
    'nt.role.customer': '客户', 'nt.role.accountManager': '客户经理', 'nt.channel.email': '邮件', 'nt.channel.sms': '短信',
    'nt.attempt': '第 {0} 次', 'nt.ok': '成功', 'nt.failed': '失败', 'nt.next': '下次 {0}',
  },
  en: {
    'nt.title': 'Progress notices', 'nt.none': 'No notices yet',
    'nt.email': 'Caller email', 'nt.language': 'Notice language', 'nt.am': 'Account manager', 'nt.amPhone': 'Account manager phone', 'nt.amEmail': 'Account manager email', 'nt.amLanguage': 'Account manager language',
    'nt.lang.zh': 'Chinese', 'nt.lang.en': 'English',
    'nt.state.pending': 'Pending', 'nt.state.retrying': 'Retrying', 'nt.state.sent': 'Sent', 'nt.state.gaveUp': 'Given up',
    'nt.step.accepted': 'Accepted', 'nt.step.dispatched': 'Dispatched', 'nt.step.arrived': 'On site', 'nt.step.resolved': 'Resolved', 'nt.step.overdue': 'Overdue',
    'nt.role.customer': 'Customer', 'nt.role.accountManager': 'Account manager', 'nt.channel.email': 'Email', 'nt.channel.sms': 'SMS',
    'nt.attempt': 'attempt {0}', 'nt.ok': 'ok', 'nt.failed': 'failed', 'nt.next': 'next {0}',
  },
});

const LANGUAGES = ['zh', 'en'];
const fill1 = (text, value) => text.replace('{0}', value);

/** The form fields this module adds to the hotline form (merged into its state). */
export function noticeFormDefaults() {
  return { email: '', language: 'zh', amName: '', amPhone: '', amEmail: '', amLanguage: 'zh' };
}

/** The hotline form's rows for the contacts: `bind(name, node)` and `row(key, node)` are the form's own helpers. */
export function noticeFormRows(bind, row) {
  const languages = () => LANGUAGES.map((v) => el('option', { value: v }, t(`nt.lang.${v}`)));
  return [
    row('nt.email', bind('email', el('input', { type: 'email', maxlength: 254 }))),
    row('nt.language', bind('language', el('select', {}, ...languages()))),
    row('nt.am', bind('amName', el('input', { type: 'text', maxlength: 128 }))),
    row('nt.amPhone', bind('amPhone', el('input', { type: 'tel', maxlength: 32 }))),
    row('nt.amEmail', bind('amEmail', el('input', { type: 'email', maxlength: 254 }))),
    row('nt.amLanguage', bind('amLanguage', el('select', {}, ...languages()))),
  ];
}

/** Adds the contacts to a hotline report body built by the form. */
export function withNoticeContacts(body, form) {
  const caller = { ...(body.caller ?? {}), email: form.email || null, language: form.language || null };
  const manager = form.amName || form.amPhone || form.amEmail
    ? { name: form.amName || null, phone: form.amPhone || null, email: form.amEmail || null, language: form.amLanguage || null }
    : undefined;
  return { ...body, caller, accountManager: manager };
}

/** The ticket's notices (GET /api/tickets/{id} carries them) with their state and attempts; null when the ticket has none. */
export function noticesView(ticket) {
  const notices = ticket.notices ?? [];
  if (notices.length === 0) return null;
  return el('div', { class: 'tk-notices', id: 'ticket-notices' },
    el('h3', {}, t('nt.title')),
    el('ul', { class: 'audit' }, ...notices.map((n) => el('li', { 'data-notice': String(n.id), 'data-state': n.state },
      el('span', { class: `chip notice-${n.state}` }, t(`nt.state.${n.state}`)), ' ',
      el('b', {}, `${t(`nt.step.${n.step}`)} · ${t(`nt.channel.${n.channel}`)}`), ' ',
      el('span', {}, `${t(`nt.role.${n.role}`)} ${n.address}`), ' ',
      el('span', { class: 'muted' }, n.state === 'pending' || n.state === 'retrying' ? fill1(t('nt.next'), formatDateTime(n.nextAt)) : ''),
      (n.history ?? []).length
        ? el('ul', { class: 'notice-attempts' }, ...n.history.map((a) => el('li', { 'data-ok': String(a.ok) },
          el('span', { class: 'muted' }, formatDateTime(a.at)), ' ',
          `${fill1(t('nt.attempt'), a.attempt)}: ${a.ok ? t('nt.ok') : `${t('nt.failed')} (${a.error ?? ''})`}`)))
        : null))));
}
