// The field technician's page (/field.html), mobile first: who I am (picked from the teams' members or typed), my
// queue, and one big button per next step: accept, depart, arrive, resolve with a note and photos (their name, size
// and type go to the server as metadata), recall; "show me where" opens the device in the 3D room (/#device/ID).
//
// Test hooks: window.__field = { member(): string|null, loaded(): boolean, queue(): number[],
//   steps(id): string[] (steps done on a ticket of the queue) }
import { t, lang, setLanguage, onLanguageChange, applyTo, addText } from './i18n.js';
import { el, api, itemsOf, label, ticketNumber, ticketTitle, stateBadge, stepsOf, deviceOf, formatClock, rememberOperator, allowedActions, normalize, photoMetadata } from './tickets.js';

addText({
  zh: {
    'fd.title': '现场抢修', 'fd.who': '我是', 'fd.enterId': '或输入工号', 'fd.pick': '选择人员', 'fd.queue': '我的工单',
    'fd.empty': '队列中没有工单', 'fd.noMember': '请先选择或输入您的工号', 'fd.showWhere': '在三维机房中查看', 'fd.photos': '现场照片',
    'fd.note': '处理说明（必填）', 'fd.done': '已完成：{0}', 'fd.failed': '操作失败：{0}', 'fd.reason': '退回原因', 'fd.refresh': '刷新',
  },
  en: {
    'fd.title': 'Field work', 'fd.who': 'I am', 'fd.enterId': 'or type your id', 'fd.pick': 'Pick yourself', 'fd.queue': 'My tickets',
    'fd.empty': 'Nothing in your queue', 'fd.noMember': 'Pick or type your id first', 'fd.showWhere': 'Show me where (3D room)', 'fd.photos': 'Photos',
    'fd.note': 'What was done (required)', 'fd.done': 'Done: {0}', 'fd.failed': 'Failed: {0}', 'fd.reason': 'Why it is not ours', 'fd.refresh': 'Refresh',
  },
});

const FIELD_ACTIONS = ['accept', 'depart', 'arrive', 'resolve', 'recall'];
const STORAGE_KEY = 'monitoring.fieldMember';
const $ = (id) => document.getElementById(id);

const field = {
  member: null,
  members: [], // [{ id, name, team }]
  queue: [],
  loaded: false,
  error: null,
  open: null, // ticket id whose resolve/recall form is open
  generation: 0,
};

function savedMember() {
  try {
    return new URLSearchParams(location.search).get('member') || localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function chooseMember(id) {
  field.member = id || null;
  try {
    if (id) localStorage.setItem(STORAGE_KEY, id);
  } catch {
    // not remembered
  }
  rememberOperator(id);
  $('f-member').value = field.members.some((m) => m.id === id) ? id : '';
  $('f-member-id').value = id ?? '';
  load();
}

async function loadMembers() {
  try {
    const teams = itemsOf(await api.get('/api/teams'));
    field.members = teams.filter((team) => (team.kind ?? 'field') === 'field')
      .flatMap((team) => (team.members ?? []).map((m) => ({ id: m.id, name: m.name ?? m.id, team: team.name ?? team.id })));
  } catch (error) {
    console.warn('teams', error);
  }
  renderMembers();
}

function renderMembers() {
  const select = $('f-member');
  select.replaceChildren(el('option', { value: '' }, t('fd.pick')),
    ...field.members.map((m) => el('option', { value: m.id, selected: m.id === field.member }, `${m.name} · ${m.team}`)));
  select.value = field.members.some((m) => m.id === field.member) ? field.member : '';
}

/** Reloads the queue; a background reload (hub message, timer) does not redraw while a resolve or recall form is open. */
async function load(background = false) {
  const generation = ++field.generation;
  if (!field.member) {
    field.queue = [];
    field.loaded = true;
    render();
    return;
  }
  try {
    const mine = await api.get(`/api/tickets/mine?member=${encodeURIComponent(field.member)}`);
    // each ticket's detail: its steps so far and the caller's description
    const queue = await Promise.all(itemsOf(mine).map(async (summary) => {
      try {
        return normalize(await api.get(`/api/tickets/${summary.id}`));
      } catch {
        return summary;
      }
    }));
    if (generation !== field.generation) return;
    field.queue = queue;
    field.memberName = mine?.memberName ?? null;
    field.error = null;
  } catch (error) {
    if (generation !== field.generation) return;
    field.error = error.message;
  }
  field.loaded = true;
  if (background && field.open) return;
  render();
}

function say(text, error = false) {
  const status = $('f-status');
  status.textContent = text;
  status.className = `f-status${error ? ' error' : ' ok'}`;
}

async function act(ticket, action, body = {}) {
  try {
    await api.post(`/api/tickets/${encodeURIComponent(ticket.id)}/${action}`, { by: field.member, ...body });
    field.open = null;
    say(t('fd.done').replace('{0}', `${ticketNumber(ticket)} ${t(`tk.act.${action}`)}`));
  } catch (error) {
    say(t('fd.failed').replace('{0}', error.message), true);
  }
  await load();
}

function resolveForm(ticket) {
  const note = el('textarea', { rows: 3, name: 'note', placeholder: t('fd.note') });
  const photos = el('input', { type: 'file', name: 'photos', accept: 'image/*', multiple: true, capture: 'environment' });
  const submit = el('button', {
    type: 'button', class: 'f-btn big primary', 'data-submit': 'resolve',
    onclick: () => {
      if (!note.value.trim()) {
        say(t('fd.note'), true);
        note.focus();
        return;
      }
      // photo metadata only: the bytes stay on the phone until an upload store exists
      act(ticket, 'resolve', { note: note.value.trim(), photos: photoMetadata(photos.files) });
    },
  }, t('tk.act.resolve'));
  return el('div', { class: 'f-form' }, note, el('label', { class: 'f-file' }, t('fd.photos'), photos), submit);
}

function recallForm(ticket) {
  const reason = el('input', { type: 'text', name: 'reason', placeholder: t('fd.reason') });
  return el('div', { class: 'f-form' }, reason,
    el('button', { type: 'button', class: 'f-btn big', 'data-submit': 'recall', onclick: () => act(ticket, 'recall', { reason: reason.value.trim() }) }, t('tk.act.recall')));
}

function card(ticket) {
  const device = deviceOf(ticket);
  const actions = allowedActions(ticket).filter((a) => FIELD_ACTIONS.includes(a));
  const steps = stepsOf(ticket);
  const buttons = actions.map((action) => el('button', {
    type: 'button', class: `f-btn big${action === 'recall' ? '' : ' primary'}`, 'data-action': action,
    onclick: () => {
      if (action === 'resolve' || action === 'recall') {
        field.open = field.open?.id === ticket.id && field.open.action === action ? null : { id: ticket.id, action };
        render();
      } else {
        act(ticket, action);
      }
    },
  }, t(`tk.act.${action}`)));
  const form = field.open?.id === ticket.id ? (field.open.action === 'resolve' ? resolveForm(ticket) : recallForm(ticket)) : null;
  const where = [ticket.roomId, ticket.rackId, ticket.caller?.location].filter(Boolean).join(' · ');
  const caller = [ticket.caller?.name, ticket.caller?.phone].filter(Boolean).join(' ');
  return el('article', { class: 'f-card', 'data-id': String(ticket.id) },
    el('div', { class: 'f-card-head' }, el('b', {}, ticketNumber(ticket)), stateBadge(ticket.status ?? ticket.state)),
    el('h2', {}, ticketTitle(ticket)),
    el('div', { class: 'f-meta' }, [label('tk.cat', ticket.category), label('tk.prio', ticket.priority), device, where].filter(Boolean).join(' · ')),
    ticket.description ? el('p', { class: 'f-desc' }, ticket.description) : null,
    caller ? el('div', { class: 'f-meta' }, caller) : null,
    el('ol', { class: 'f-steps' }, ...steps.map((s) => el('li', { 'data-step': s.step }, `${s.step.length === 1 ? `${s.step} ` : ''}${label('tk.step', s.step)} ${formatClock(s.at)}`))),
    el('div', { class: 'f-actions' }, ...buttons),
    form,
    device ? el('a', { class: 'f-btn big where', href: `/#device/${encodeURIComponent(device)}`, 'data-where': device }, `◎ ${t('fd.showWhere')}`) : null);
}

function render() {
  const host = $('f-queue');
  if (!field.member) {
    host.replaceChildren(el('div', { class: 'f-empty' }, t('fd.noMember')));
    return;
  }
  host.replaceChildren(...[
    el('div', { class: 'f-queue-head' }, el('h1', {}, `${t('fd.queue')} (${field.queue.length})`),
      el('button', { type: 'button', class: 'f-btn small', onclick: () => load() }, t('fd.refresh'))),
    field.error ? el('div', { class: 'f-status error' }, field.error) : null,
    ...(field.queue.length ? field.queue.map(card) : [el('div', { class: 'f-empty', id: 'f-empty' }, t('fd.empty'))]),
  ].filter(Boolean));
}

async function connectHub() {
  const signalR = window.signalR;
  if (!signalR) return;
  const hub = new signalR.HubConnectionBuilder().withUrl('/hubs/live').withAutomaticReconnect().configureLogging(signalR.LogLevel.Warning).build();
  let queued = 0;
  hub.on('ticket', () => {
    clearTimeout(queued);
    queued = setTimeout(() => load(true), 300);
  });
  hub.onreconnected(() => load(true));
  try {
    await hub.start();
  } catch (error) {
    console.warn('hub', error);
  }
}

function main() {
  const wanted = new URLSearchParams(location.search).get('lang');
  if (wanted) setLanguage(wanted, false);
  applyTo(document);
  const renderLang = () => {
    for (const b of document.querySelectorAll('.lang')) b.classList.toggle('active', b.dataset.lang === lang());
    document.title = t('fd.title');
    renderMembers();
    render();
  };
  onLanguageChange(renderLang);
  for (const b of document.querySelectorAll('.lang')) b.addEventListener('click', () => setLanguage(b.dataset.lang));
  $('f-member').addEventListener('change', (e) => chooseMember(e.target.value));
  $('f-member-id').addEventListener('change', (e) => chooseMember(e.target.value.trim()));
  field.member = savedMember();
  $('f-member-id').value = field.member ?? '';
  if (field.member) rememberOperator(field.member);
  renderLang();
  loadMembers();
  load();
  setInterval(() => load(true), 30000);
  connectHub();
}

window.__field = {
  member: () => field.member,
  loaded: () => field.loaded,
  queue: () => field.queue.map((x) => x.id),
  steps: (id) => {
    const ticket = field.queue.find((x) => String(x.id) === String(id));
    return ticket ? stepsOf(ticket).map((s) => s.step) : [];
  },
};

main();
