// The field technician's page (/field.html), mobile first: the signed-in technician's own queue (the open tickets their
// team holds), and one big button per next step the role allows: accept, depart, arrive, resolve with a note and photos
// (their name, size and type go to the server as metadata), recall; "show me where" opens the device in the 3D room
// (/#device/ID). The server records the signed-in user as the actor of every step.
//
// Test hooks (only with the test flag, see testhooks.js): window.__field = { member(): string|null (the signed-in user's name), team(): string|null,
//   loaded(): boolean, queue(): number[], steps(id): string[] (steps done on a ticket of the queue),
//   where(id): { parts: string[] (rack, U, port as shown), href } | null }
import { t, lang, setLanguage, onLanguageChange, applyTo, addText } from './i18n.js';
import { el, api, itemsOf, label, formatClock } from './toolkit.js';
import { ticketNumber, ticketTitle, stateBadge, stepsOf, deviceOf, allowedActions, normalize, photoMetadata } from './ticketkit.js';
import { requireSession, wireUserBox, renderUserBox, checkStillSignedIn } from './session.js';
import { expose } from './testhooks.js';
import { showTrainingFrame } from './training-frame.js'; // branch "sessions"

addText({
  zh: {
    'fd.title': '现场抢修', 'fd.team': '班组', 'fd.noTeam': '您的账号不属于任何班组，请联系管理员', 'fd.queue': '我的工单',
    'fd.empty': '队列中没有工单', 'fd.showWhere': '在三维机房中查看', 'fd.photos': '现场照片',
    'fd.rack': '机柜', 'fd.u': 'U位', 'fd.port': '端口', 'fd.face.front': '前面', 'fd.face.rear': '后面',
    'fd.note': '处理说明（必填）', 'fd.done': '已完成：{0}', 'fd.failed': '操作失败：{0}', 'fd.reason': '退回原因', 'fd.refresh': '刷新',
  },
  en: {
    'fd.title': 'Field work', 'fd.team': 'Team', 'fd.noTeam': 'Your account belongs to no team: ask an administrator', 'fd.queue': 'My tickets',
    'fd.empty': 'Nothing in your queue', 'fd.showWhere': 'Show me where (3D room)', 'fd.photos': 'Photos',
    'fd.rack': 'Rack', 'fd.u': 'U', 'fd.port': 'Port', 'fd.face.front': 'front', 'fd.face.rear': 'rear',
    'fd.note': 'What was done (required)', 'fd.done': 'Done: {0}', 'fd.failed': 'Failed: {0}', 'fd.reason': 'Why it is not ours', 'fd.refresh': 'Refresh',
  },
});

const FIELD_ACTIONS = ['accept', 'depart', 'arrive', 'resolve', 'recall'];
const USER_BOX = { name: 'f-user-name', role: 'f-user-role', signOut: 'f-sign-out' };
const $ = (id) => document.getElementById(id);

const field = {
  user: null, // the signed-in user: { name, displayName, role, team }
  team: null, // the team whose queue is shown: the user's
  teamName: null,
  queue: [],
  loaded: false,
  error: null,
  open: null, // ticket id whose resolve/recall form is open
  generation: 0,
  devices: new Map(), // device id -> GET /api/devices/{id} (rack, U, ports), or null while loading / unknown
};

/** Where a ticket's device is: rack, U (span) and face, and the ticket's port by name; read once per device. */
function whereOf(ticket) {
  const id = deviceOf(ticket);
  if (!id) return null;
  if (!field.devices.has(id)) {
    field.devices.set(id, null);
    api.get(`/api/devices/${encodeURIComponent(id)}`).then((detail) => {
      field.devices.set(id, detail);
      if (!field.open) render();
    }).catch((error) => console.warn('device', id, error));
  }
  const detail = field.devices.get(id);
  const rack = detail?.rack ?? ticket.rackId ?? null;
  const height = detail?.model?.heightU ?? 1;
  const u = detail?.u ? `${detail.u}${height > 1 ? `–${detail.u + height - 1}` : ''}` : null;
  const port = ticket.port ?? null;
  const portName = port == null ? null : detail?.ports?.find((p) => p.index === port)?.name;
  return {
    device: detail?.name ?? id,
    parts: [
      rack && ['rack', `${t('fd.rack')} ${rack}`],
      u && ['u', `${t('fd.u')} ${u}${detail?.face ? ` · ${t(`fd.face.${detail.face}`)}` : ''}`],
      port != null && ['port', `${t('fd.port')} ${portName && portName !== String(port) ? `${portName} (${port})` : port}`],
    ].filter(Boolean),
    // the phone-friendly 3D view: the console in compact mode, at the port when the ticket names one
    href: port != null ? `/?compact=1#port/${encodeURIComponent(id)}:${port}` : `/?compact=1#device/${encodeURIComponent(id)}`,
  };
}

async function loadTeamName() {
  try {
    const team = itemsOf(await api.get('/api/teams')).find((x) => x.id === field.team);
    field.teamName = team ? (lang() === 'en' ? team.nameEn ?? team.name : team.name) ?? team.id : null;
  } catch (error) {
    console.warn('teams', error);
  }
  render();
}

/** Reloads the queue; a background reload (hub message, timer) does not redraw while a resolve or recall form is open. */
async function load(background = false) {
  const generation = ++field.generation;
  if (!field.team) {
    field.queue = [];
    field.loaded = true;
    render();
    return;
  }
  try {
    const q = new URLSearchParams({ team: field.team, state: 'open', pageSize: '200' });
    // the open tickets the team holds now (a ticket recalled or sent on elsewhere keeps its team id but not its holder)
    const mine = itemsOf(await api.get(`/api/tickets?${q}`)).filter((x) => (x.holder ?? x.teamId) === field.team);
    // each ticket's detail: its steps so far and the caller's description
    const queue = await Promise.all(mine.map(async (summary) => {
      try {
        return normalize(await api.get(`/api/tickets/${summary.id}`));
      } catch {
        return summary;
      }
    }));
    if (generation !== field.generation) return;
    field.queue = queue;
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
    await api.post(`/api/tickets/${encodeURIComponent(ticket.id)}/${action}`, body);
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
  const located = whereOf(ticket);
  const caller = [ticket.caller?.name, ticket.caller?.phone].filter(Boolean).join(' ');
  return el('article', { class: 'f-card', 'data-id': String(ticket.id) },
    el('div', { class: 'f-card-head' }, el('b', {}, ticketNumber(ticket)), stateBadge(ticket.status ?? ticket.state)),
    el('h2', {}, ticketTitle(ticket)),
    el('div', { class: 'f-meta' }, [label('tk.cat', ticket.category), label('tk.prio', ticket.priority), device, where].filter(Boolean).join(' · ')),
    located ? el('div', { class: 'f-where', 'data-where-of': device },
      el('b', {}, located.device), ...located.parts.map(([key, text]) => el('span', { class: `f-where-${key}`, 'data-part': key }, text))) : null,
    ticket.description ? el('p', { class: 'f-desc' }, ticket.description) : null,
    caller ? el('div', { class: 'f-meta' }, caller) : null,
    el('ol', { class: 'f-steps' }, ...steps.map((s) => el('li', { 'data-step': s.step }, `${s.step.length === 1 ? `${s.step} ` : ''}${label('tk.step', s.step)} ${formatClock(s.at)}`))),
    el('div', { class: 'f-actions' }, ...buttons),
    form,
    device ? el('a', { class: 'f-btn big where', href: located.href, 'data-where': device }, `◎ ${t('fd.showWhere')}`) : null);
}

function render() {
  const host = $('f-queue');
  $('f-team').textContent = field.team ? `${t('fd.team')}: ${field.teamName ?? field.team}` : '';
  if (!field.team) {
    host.replaceChildren(el('div', { class: 'f-empty', id: 'f-no-team' }, t('fd.noTeam')));
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
  // the server dropped messages this page was too slow to read: read the queue again
  hub.on('resync', () => load(true));
  hub.onclose(() => checkStillSignedIn());
  try {
    await hub.start();
  } catch (error) {
    console.warn('hub', error);
    await checkStillSignedIn();
  }
}

async function main() {
  const wanted = new URLSearchParams(location.search).get('lang');
  if (wanted) setLanguage(wanted, false);
  applyTo(document);
  const renderLang = () => {
    for (const b of document.querySelectorAll('.lang')) b.classList.toggle('active', b.dataset.lang === lang());
    document.title = t('fd.title');
    renderUserBox(USER_BOX);
    render();
  };
  onLanguageChange(renderLang);
  for (const b of document.querySelectorAll('.lang')) b.addEventListener('click', () => setLanguage(b.dataset.lang));
  const user = await requireSession();
  if (!user) return;
  field.user = user;
  field.team = user.team ?? null;
  wireUserBox(USER_BOX);
  renderLang();
  showTrainingFrame().catch((error) => console.error(error)); // branch "sessions": the TRAINING frame on a session's host
  if (field.team) loadTeamName();
  load();
  setInterval(() => load(true), 30000);
  connectHub();
}

expose('__field', {
  member: () => field.user?.name ?? null,
  team: () => field.team,
  loaded: () => field.loaded,
  queue: () => field.queue.map((x) => x.id),
  where: (id) => {
    const ticket = field.queue.find((x) => String(x.id) === String(id));
    const located = ticket ? whereOf(ticket) : null;
    return located ? { parts: located.parts.map(([, text]) => text), href: located.href } : null;
  },
  steps: (id) => {
    const ticket = field.queue.find((x) => String(x.id) === String(id));
    return ticket ? stepsOf(ticket).map((s) => s.step) : [];
  },
});

main().catch((error) => {
  console.error(error);
  say(error.message, true);
});
