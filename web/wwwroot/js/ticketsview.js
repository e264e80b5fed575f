// The tickets view: the ticket list with filters and live updates, the ticket detail (A..H timeline against its
// targets, audit trail, the steps the server allows), the hotline form with report interception, the callback work
// list and the complaint list. The router (tickets.js) shows it.
//
// Test hooks (tests/Monitoring.Browser.Tests/TicketConsoleTests.cs; only with the test flag, see testhooks.js):
//   window.__tickets = {
//     view(): 'room'|'tickets'|'dispatch'|'reports'|'admin'   the view shown
//     tab(): 'list'|'new'|'callbacks'|'complaints'          the tickets view's tab
//     listIds(): number[]                                   tickets in the list as shown
//     listLoaded(): boolean                                 the list has answered since the last filter change
//     detailId(): number|null                               the ticket in the detail pane, once loaded
//     detailSteps(): string[]                               steps done on it, in order ('A', 'B', ..., 'resolved')
//     detailSegments(): [{ id, state }]                     the timeline's segments as drawn
//     interception(): { loaded, tickets: number[], alarms: number[] }   what the hotline form offers for its target
//     lastResult(): { kind: 'linked'|'created', id }|null   what the hotline form did last
//     messages(): number                                    `ticket` hub messages received
//   }
import { t, lang, addText, alarmMessage } from './i18n.js';
import { can } from './session.js';
import { noticeFormDefaults, noticeFormRows, withNoticeContacts, noticesView } from './notices.js';
import { expose } from './testhooks.js';
import { kbSuggestions, kbDraftButton } from './kb.js';
import { el, api, itemsOf, label, fill, formatDateTime, formatDuration } from './toolkit.js';
import {
  ticketNumber, normalize, ticketTitle, stepsOf, segmentsOf, deviceOf, stateOf, liveSegment, timelineView, stepsView,
  stateBadge, allowedActions, complaintMissing, runAction, photoMetadata,
} from './ticketkit.js';
import { host, view, parseHash, ticketMessages } from './consolestate.js';


// clocks branch (issue 19): a ticket opened by an alarm shows when the fault began, apart from A (the ticket's opening)
addText({
  zh: { 'tk.header.faultBegan': '故障开始', 'tk.faultBeforeA': '开单前 {d}' },
  en: { 'tk.header.faultBegan': 'Fault began', 'tk.faultBeforeA': '{d} before the ticket opened (A)' },
});

/** The "fault began" field of an alarm's ticket: the alarm's raise, and how long before A (the ticket's opening) it was. */
function faultBeganText(ticket) {
  if (!ticket.faultBeganAt) return null;
  const before = ticket.faultToTicketMinutes == null ? '' : ` · ${t('tk.faultBeforeA').replace('{d}', formatDuration(ticket.faultToTicketMinutes * 60))}`;
  return `${formatDateTime(ticket.faultBeganAt)}${before}`;
}

const CATEGORIES = ['fault', 'request', 'complaint', 'consultation'];
const STATES = ['new', 'dispatched', 'accepted', 'enRoute', 'onSite', 'resolved', 'closed'];
const CHANNELS = ['phone', 'web', 'message', 'email'];
const CLASSES = ['standard', 'vip'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

export const tickets = {
  root: null,
  built: false,
  filters: { state: 'open', category: '', area: '', team: '', overdue: false, q: '' },
  list: [],
  listLoaded: false,
  listGeneration: 0,
  detail: null,
  detailError: null,
  teams: [],
  areas: [],
  callbacks: [],
  complaints: [],
  form: null,
  interception: { loaded: false, tickets: [], alarms: [] },
  lastResult: null,
  timer: 0,
  refreshQueued: 0,
  flash: null,

  show(target) {
    this.root = document.getElementById('view-tickets');
    if (!this.built) this.build();
    const tabChanged = this.tab !== target.tab;
    this.tab = target.tab ?? 'list';
    if (target.ticketId != null) this.openDetail(target.ticketId);
    this.render();
    if (tabChanged || !this.listLoaded) this.loadTab();
  },

  build() {
    this.built = true;
    this.form = newForm();
    this.loadReferenceData();
    this.timer = setInterval(() => this.tick(), 1000);
  },

  async loadReferenceData() {
    try {
      this.teams = itemsOf(await api.get('/api/teams'));
    } catch (error) {
      console.warn('teams', error);
    }
    const areas = new Set(this.teams.flatMap((team) => team.areas ?? []));
    this.areas = [...areas].sort();
    if (view.name === 'tickets') this.render();
  },

  loadTab() {
    if (this.tab === 'list') this.loadList();
    else if (this.tab === 'callbacks') this.loadCallbacks();
    else if (this.tab === 'complaints') this.loadComplaints();
  },

  refresh() {
    if (view.name !== 'tickets') return;
    this.loadTab();
    if (this.detail) this.openDetail(this.detail.id, true);
  },

  queryString() {
    const q = new URLSearchParams();
    const f = this.filters;
    if (f.state) q.set('state', f.state);
    if (f.category) q.set('category', f.category);
    if (f.area) q.set('area', f.area);
    if (f.team) q.set('team', f.team);
    if (f.overdue) q.set('overdue', 'true');
    q.set('pageSize', '200');
    return q;
  },

  async loadList() {
    const generation = ++this.listGeneration;
    this.listLoaded = false;
    try {
      const page = await api.get(`/api/tickets?${this.queryString()}`);
      if (generation !== this.listGeneration) return;
      this.page = itemsOf(page);
      this.listTotal = page?.total ?? this.page.length;
      this.applySearch();
      this.listError = null;
    } catch (error) {
      if (generation !== this.listGeneration) return;
      this.listError = error.message;
    }
    this.listLoaded = true;
    if (view.name === 'tickets' && this.tab === 'list') this.renderMain();
  },

  /** The text search runs over the page the server answered (number, title, device, area, team). */
  applySearch() {
    const words = this.filters.q.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const text = (x) => [x.number, x.title, x.deviceId, x.rackId, x.areaId, x.teamId, x.holder, deviceName(x.deviceId)].filter(Boolean).join(' ').toLowerCase();
    this.list = words.length ? (this.page ?? []).filter((x) => words.every((w) => text(x).includes(w))) : [...(this.page ?? [])];
  },

  async loadCallbacks() {
    try {
      const due = itemsOf(await api.get('/api/tickets/callbacks'));
      // the work list needs the caller and phone, which only the detail carries
      this.callbacks = await Promise.all(due.slice(0, 100).map(async (summary) => {
        try {
          return normalize(await api.get(`/api/tickets/${summary.id}`));
        } catch {
          return summary;
        }
      }));
      this.callbacksError = null;
    } catch (error) {
      this.callbacksError = error.message;
    }
    if (view.name === 'tickets' && this.tab === 'callbacks') this.renderMain();
  },

  async loadComplaints() {
    try {
      this.complaints = itemsOf(await api.get('/api/tickets/complaints')).map((entry) => (entry.ticket
        ? { ...entry.ticket, complaint: { missing: entry.missing ?? [], done: entry.done ?? [] } }
        : entry));
      this.complaintsError = null;
    } catch (error) {
      this.complaintsError = error.message;
    }
    if (view.name === 'tickets' && this.tab === 'complaints') this.renderMain();
  },

  async openDetail(id, quiet = false) {
    if (!quiet && String(this.detail?.id) !== String(id)) {
      this.detail = null;
      this.detailError = null;
      this.renderDetail();
    }
    try {
      const ticket = normalize(await api.get(`/api/tickets/${encodeURIComponent(id)}`));
      if (parseHash().ticketId != null && String(parseHash().ticketId) !== String(id) && !quiet) return;
      this.detail = ticket;
      this.detailError = null;
    } catch (error) {
      this.detailError = error.message;
    }
    if (view.name === 'tickets') this.renderDetail();
  },

  onMessage(message) {
    const ticket = message?.ticket ?? message;
    const id = ticket?.id ?? message?.ticketId;
    if (view.name !== 'tickets') return;
    // coalesce bursts: one reload of the list a quarter second after the last message
    clearTimeout(this.refreshQueued);
    this.refreshQueued = setTimeout(() => this.loadTab(), 250);
    if (this.detail && String(this.detail.id) === String(id)) {
      if (ticket?.segments && ticket?.steps) {
        this.detail = ticket;
        this.renderDetail();
      } else {
        this.openDetail(id, true);
      }
    }
  },

  tick() {
    if (view.name !== 'tickets' || !this.detail) return;
    const host = document.getElementById('ticket-timeline');
    if (!host) return;
    const { node } = timelineView(this.detail);
    host.replaceWith(node);
  },

  render() {
    if (!this.root) return;
    if (!this.root.firstChild) {
      this.root.append(
        el('div', { class: 'tk-tabs', id: 'tk-tabs' }),
        el('div', { class: 'tk-body' },
          el('div', { class: 'tk-main', id: 'tk-main' }),
          el('aside', { class: 'tk-detail', id: 'tk-detail' })));
    }
    const tabs = this.root.querySelector('#tk-tabs');
    tabs.replaceChildren(...['list', 'new', 'callbacks', 'complaints'].filter((tab) => tab !== 'new' || can('openTickets')).map((tab) =>
      el('a', { class: `btn tk-tab${tab === this.tab ? ' active' : ''}`, href: `#tickets/${tab}`, 'data-tab': tab }, t(`tk.tab.${tab}`))));
    this.renderMain();
    this.renderDetail();
  },

  renderMain() {
    const main = this.root?.querySelector('#tk-main');
    if (!main) return;
    if (this.tab === 'new') {
      renderForm(main);
      return;
    }
    if (this.tab === 'callbacks') {
      main.replaceChildren(el('h3', {}, t('tk.cb.title')), this.callbackTable());
      return;
    }
    if (this.tab === 'complaints') {
      main.replaceChildren(el('h3', {}, t('tk.cp.title')), this.complaintTable());
      return;
    }
    main.replaceChildren(this.filterBar(), this.listTable());
  },

  filterBar() {
    const f = this.filters;
    const select = (name, options, labelPrefix) => {
      const node = el('select', { 'data-filter': name, onchange: (e) => { f[name] = e.target.value; this.loadList(); } },
        el('option', { value: '' }, t('tk.filter.all')),
        ...options.map((o) => {
          const [value, text] = Array.isArray(o) ? o : [o, labelPrefix ? label(labelPrefix, o) : o];
          return el('option', { value, selected: f[name] === value }, text);
        }));
      node.value = f[name];
      return el('label', {}, el('span', {}, t(`tk.filter.${name}`)), node);
    };
    let typing = 0;
    const search = el('input', {
      type: 'search', id: 'tk-search', placeholder: t('tk.filter.search'), value: f.q,
      oninput: (e) => {
        f.q = e.target.value;
        clearTimeout(typing);
        typing = setTimeout(() => {
          this.applySearch();
          const table = this.root.querySelector('.tk-table-wrap, #tk-empty');
          if (table) table.replaceWith(this.listTable());
        }, 150);
      },
    });
    return el('div', { class: 'tk-filters' },
      select('state', [['open', t('tk.filter.open')], ...STATES.map((s) => [s, label('tk.state', s)])]),
      select('category', CATEGORIES, 'tk.cat'),
      select('area', this.areas),
      select('team', this.teams.filter((team) => team.kind !== 'noc').map((team) => [team.id, teamName(team)])),
      el('label', { class: 'check' }, el('input', { type: 'checkbox', 'data-filter': 'overdue', checked: f.overdue, onchange: (e) => { f.overdue = e.target.checked; this.loadList(); } }), t('tk.filter.overdue')),
      search);
  },

  listTable() {
    if (!this.listLoaded && this.list.length === 0) return el('div', { class: 'muted pad' }, t('tk.loading'));
    if (this.listError) return el('div', { class: 'error pad' }, `${t('tk.loadFailed')}: ${this.listError}`);
    if (this.list.length === 0) return el('div', { class: 'muted pad', id: 'tk-empty' }, t('tk.empty'));
    const head = el('tr', {}, ...['id', 'title', 'state', 'category', 'area', 'team', 'device', 'opened', 'due'].map((c) => el('th', {}, t(`tk.col.${c}`))));
    const rows = this.list.map((ticket) => this.listRow(ticket));
    return el('div', { class: 'tk-table-wrap' }, el('table', { class: 'tk-table', id: 'tk-list' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  },

  listRow(ticket) {
    const open = () => (location.hash = `#tickets/${ticket.id}`);
    const overdue = Boolean(ticket.overdue);
    return el('tr', {
      'data-id': String(ticket.id),
      class: `${String(this.detail?.id) === String(ticket.id) ? 'selected' : ''}${overdue ? ' overdue' : ''}`,
      onclick: open,
    },
    el('td', { class: 'num' }, ticketNumber(ticket)),
    el('td', {}, el('span', { class: `prio ${ticket.priority ?? ''}` }), ticketTitle(ticket)),
    el('td', {}, stateBadge(stateOf(ticket))),
    el('td', {}, label('tk.cat', ticket.category)),
    el('td', {}, ticket.areaId ?? '—'),
    el('td', {}, teamName(this.teams.find((team) => team.id === (ticket.holder ?? ticket.teamId))) ?? ticket.holder ?? ticket.teamId ?? '—'),
    el('td', {}, deviceName(deviceOf(ticket)) ?? '—'),
    el('td', { class: 'muted' }, formatDateTime(ticket.reportedAt ?? ticket.createdAt)),
    el('td', {}, dueText(ticket)));
  },

  callbackTable() {
    if (this.callbacksError) return el('div', { class: 'error pad' }, `${t('tk.loadFailed')}: ${this.callbacksError}`);
    if (this.callbacks.length === 0) return el('div', { class: 'muted pad' }, t('tk.cb.empty'));
    return el('table', { class: 'tk-table', id: 'tk-callbacks' },
      el('thead', {}, el('tr', {}, ...['id', 'title', 'state', 'device'].map((c) => el('th', {}, t(`tk.col.${c}`))), el('th', {}, t('tk.header.caller')), el('th', {}, t('tk.header.phone')), el('th', {}, t('tk.step.resolved')))),
      el('tbody', {}, ...this.callbacks.map((ticket) => el('tr', { 'data-id': String(ticket.id), onclick: () => (location.hash = `#tickets/${ticket.id}`) },
        el('td', { class: 'num' }, ticketNumber(ticket)),
        el('td', {}, ticketTitle(ticket)),
        el('td', {}, stateBadge(stateOf(ticket))),
        el('td', {}, deviceName(deviceOf(ticket)) ?? '—'),
        el('td', {}, callerOf(ticket).name ?? '—'),
        el('td', {}, callerOf(ticket).phone ?? '—'),
        el('td', { class: 'muted' }, formatDateTime(stepsOf(ticket).find((s) => s.step === 'resolved')?.at ?? ticket.updatedAt))))));
  },

  complaintTable() {
    if (this.complaintsError) return el('div', { class: 'error pad' }, `${t('tk.loadFailed')}: ${this.complaintsError}`);
    if (this.complaints.length === 0) return el('div', { class: 'muted pad' }, t('tk.cp.empty'));
    return el('table', { class: 'tk-table', id: 'tk-complaints' },
      el('thead', {}, el('tr', {}, ...['id', 'title', 'state'].map((c) => el('th', {}, t(`tk.col.${c}`))), el('th', {}, t('tk.complaint.missing')))),
      el('tbody', {}, ...this.complaints.map((ticket) => el('tr', { 'data-id': String(ticket.id), onclick: () => (location.hash = `#tickets/${ticket.id}`) },
        el('td', { class: 'num' }, ticketNumber(ticket)),
        el('td', {}, ticketTitle(ticket)),
        el('td', {}, stateBadge(stateOf(ticket))),
        el('td', {}, complaintChecklist(ticket))))));
  },

  renderDetail() {
    const pane = this.root?.querySelector('#tk-detail');
    if (!pane) return;
    if (this.detailError) {
      pane.replaceChildren(el('div', { class: 'error pad' }, `${t('tk.loadFailed')}: ${this.detailError}`));
      return;
    }
    if (!this.detail) {
      pane.replaceChildren(el('div', { class: 'muted pad' }, parseHash().ticketId ? t('tk.loading') : t('tk.pickTicket')));
      return;
    }
    // an action form the operator is filling in (a resolve note, a callback comment) survives live updates
    const open = pane.querySelector(`.tk-detail-body[data-id="${CSS.escape(String(this.detail.id))}"] .tk-action-form`);
    const keep = open && open.childElementCount > 0 ? open.parentElement : null;
    const node = detailView(this.detail, () => this.openDetail(this.detail.id, true));
    if (keep) node.querySelector('.tk-action-form')?.parentElement.replaceWith(keep);
    pane.replaceChildren(node);
    for (const row of this.root.querySelectorAll('#tk-list tbody tr')) row.classList.toggle('selected', row.dataset.id === String(this.detail.id));
  },
};

function teamKind(id) {
  return tickets.teams.find((team) => team.id === id)?.kind ?? null;
}

function teamName(team) {
  if (!team) return null;
  return (lang() === 'en' ? team.nameEn ?? team.name : team.name ?? team.nameEn) ?? team.id;
}

function deviceName(id) {
  if (!id) return null;
  const device = host.room?.devices?.find((d) => d.id === id);
  return device ? device.name : id;
}

function callerOf(ticket) {
  const c = ticket.caller ?? ticket.reporter ?? {};
  return typeof c === 'string'
    ? { name: c, phone: ticket.phone, department: ticket.department, location: ticket.location }
    : { name: c.name ?? ticket.callerName, phone: c.phone ?? ticket.phone, department: c.department ?? ticket.department, location: c.location ?? ticket.location };
}

/** The list's clock column: due in …, or overdue by …, from the earliest running segment's due time. */
function dueText(ticket) {
  if (!ticket.dueAt) return ticket.missedSegments ? el('span', { class: 'tl-state missed' }, `✗ ${ticket.missedSegments}`) : '—';
  const left = (Date.parse(ticket.dueAt) - Date.now()) / 1000;
  const state = left < 0 ? 'missed' : left <= 60 ? 'warned' : 'running';
  return el('span', { class: `tl-state ${state}`, 'data-due': state },
    left < 0 ? fill(t('tk.missedBy'), formatDuration(-left)) : fill(t('tk.dueIn'), formatDuration(left)),
    ticket.escalation && ticket.escalation !== 'none' ? el('span', { class: 'chip esc' }, `⚠ ${label('tk.esc', ticket.escalation)}`) : null);
}

function complaintChecklist(ticket) {
  const missing = complaintMissing(ticket);
  return el('span', { class: 'checklist' }, ...[['review', 'reviewed'], ['followUp', 'followedUp'], ['reply', 'replied']].map(([action, k]) => {
    const done = !missing.includes(action);
    return el('span', { class: done ? 'done' : 'missing', 'data-item': action }, `${done ? '✓' : '✗'} ${t(`tk.complaint.${k}`)}`);
  }));
}

// ---------- the detail pane ----------

function detailView(ticket, reload) {
  const caller = callerOf(ticket);
  const device = deviceOf(ticket);
  const field = (key, value) => (value == null || value === '' ? null : [el('dt', {}, t(key)), el('dd', {}, value)]);
  const links = (ticket.links ?? []).map((link) => el('span', { class: 'chip' }, linkText(link)));
  const fields = [
    field('tk.col.category', label('tk.cat', ticket.category)),
    field('tk.col.priority', label('tk.prio', ticket.priority)),
    field('tk.header.customerClass', label('tk.class', ticket.customerClass)),
    field('tk.header.channel', ticket.channel ? label('tk.channel', ticket.channel) : null),
    field('tk.header.faultBegan', faultBeganText(ticket)),
    field('tk.header.caller', caller.name),
    field('tk.header.phone', caller.phone),
    field('tk.header.department', caller.department),
    field('tk.header.location', caller.location),
    field('tk.header.area', ticket.areaId),
    field('tk.header.team', [ticket.centreId, ticket.teamId].filter(Boolean).map((id) => teamName(tickets.teams.find((team) => team.id === id)) ?? id).join(' → ') || null),
    field('tk.header.device', device ? deviceName(device) : null),
    field('tk.header.port', ticket.port ?? ticket.portName),
    field('tk.header.rack', ticket.rackId ?? ticket.rack),
    field('tk.header.room', ticket.roomId ?? ticket.room),
    field('tk.header.intercepted', ticket.interceptedReports?.length || ticket.intercepted || null),
    links.length ? [el('dt', {}, t('tk.header.links')), el('dd', {}, ...links)] : null,
  ].filter(Boolean).flat();
  const { node: timeline } = timelineView(ticket);
  const audit = (ticket.audit ?? ticket.auditTrail ?? []).slice().sort((a, b) => Date.parse(b.at ?? b.time) - Date.parse(a.at ?? a.time));
  const notes = ticket.notes ?? [];
  const attachments = ticket.attachments ?? [];
  return el('div', { class: 'tk-detail-body', 'data-id': String(ticket.id) },
    el('div', { class: 'tk-detail-head' },
      el('div', {},
        el('div', { class: 'panel-kind' }, `${ticketNumber(ticket)} · ${label('tk.cat', ticket.category)}`),
        el('h2', { id: 'ticket-title' }, ticketTitle(ticket))),
      stateBadge(stateOf(ticket))),
    kbSuggestions('ticket', ticket.id), // branch "kb": the matching articles first
    device ? el('button', { type: 'button', class: 'btn', id: 'ticket-show-where', onclick: () => showWhere(device) }, `◎ ${t('tk.showWhere')}`) : null,
    ticket.category === 'complaint' ? el('div', { class: 'complaint-state' }, complaintChecklist(ticket)) : null,
    el('dl', { class: 'fields' }, ...fields),
    ticket.description ? el('p', { class: 'description' }, ticket.description) : null,
    el('h3', {}, t('tk.actions')),
    actionsView(ticket, reload),
    kbDraftButton(ticket),
    el('h3', {}, t('tk.timeline')),
    stepsView(ticket),
    timeline,
    notes.length ? el('h3', {}, t('tk.header.notes')) : null,
    notes.length ? el('ul', { class: 'notes' }, ...notes.map((n) => el('li', {}, el('span', { class: 'muted' }, `${formatDateTime(n.at)} ${n.by ?? ''}`), ' ', n.text ?? n.note ?? ''))) : null,
    attachments.length ? el('h3', {}, t('tk.header.attachments')) : null,
    attachments.length ? el('ul', { class: 'notes' }, ...attachments.map((a) => el('li', {}, `${a.name ?? a.fileName} · ${a.contentType ?? a.type ?? ''} · ${a.size ?? a.length ?? '?'} B`))) : null,
    noticesView(ticket),
    el('h3', {}, t('tk.audit')),
    el('ul', { class: 'audit', id: 'ticket-audit' }, ...audit.map((a) => el('li', {},
      el('span', { class: 'muted' }, formatDateTime(a.at ?? a.time)), ' ',
      el('b', {}, a.action ?? a.kind ?? a.event ?? ''), ' ',
      el('span', {}, a.by ?? a.actor ?? ''), ' ',
      el('span', { class: 'muted' }, a.detail ?? a.text ?? a.note ?? '')))));
}

function linkText(link) {
  if (typeof link === 'string') return link;
  const kind = link.kind ?? link.type ?? '';
  const target = link.target ?? link.id ?? link.alarmId ?? link.deviceId ?? link.ticketId ?? '';
  return `${kind} ${target}`.trim();
}

function showWhere(deviceId) {
  location.hash = `#device/${encodeURIComponent(deviceId)}`;
}

/** Who the ticket can go to next: from the NOC a centre or a field team (per the area's tiers), from a centre its field teams. */
function dispatchTargets(ticket) {
  const fromCentre = ticket.holder != null && teamKind(ticket.holder) === 'centre';
  // the NOC sends to the area's repair centre over three tiers, straight to a field team over two
  const wanted = fromCentre ? 'field' : ticket.tiers === 3 ? 'centre' : ticket.tiers === 2 ? 'field' : null;
  return tickets.teams.filter((team) => team.kind !== 'noc' && (!wanted || team.kind === wanted))
    .filter((team) => !ticket.areaId || !team.areas?.length || team.areas.includes(ticket.areaId) || team.kind === 'centre');
}

/** Preselects the server's best field team for the ticket's skill and area (not away, shortest queue first). */
async function suggestTeam(ticket, select) {
  if (!ticket.skill || [...select.options].every((o) => teamKind(o.value) !== 'field')) return;
  try {
    const q = new URLSearchParams({ skill: ticket.skill });
    if (ticket.areaId) q.set('area', ticket.areaId);
    const best = itemsOf(await api.get(`/api/teams/next?${q}`)).find((team) => [...select.options].some((o) => o.value === team.id && !o.disabled));
    if (best && select.isConnected) select.value = best.id;
  } catch (error) {
    console.warn('next team', error);
  }
}

function actionsView(ticket, reload) {
  const box = el('div', { class: 'tk-actions', id: 'ticket-actions' });
  const status = el('div', { class: 'tk-action-status' });
  const form = el('div', { class: 'tk-action-form' });
  const actions = allowedActions(ticket);
  const run = async (action, body) => {
    const done = await runAction(ticket, action, body, status);
    if (done) {
      form.replaceChildren();
      if (done.id != null && done.segments && done.steps) {
        tickets.detail = done;
        tickets.renderDetail();
      } else {
        reload();
      }
      clearTimeout(tickets.refreshQueued);
      tickets.refreshQueued = setTimeout(() => tickets.loadTab(), 250);
    }
  };
  const input = (name, placeholder, type = 'text') => el('input', { type, name, placeholder });
  for (const action of actions) {
    const button = el('button', { type: 'button', class: `btn act-${action}`, 'data-action': action }, t(`tk.act.${action}`));
    button.addEventListener('click', () => {
      if (action === 'dispatch') {
        const select = el('select', { name: 'team' }, ...dispatchTargets(ticket).map((team) =>
          el('option', { value: team.id, disabled: team.status?.availability === 'away' },
            `${teamName(team)} · ${label('dp.kind', team.kind)} · ${label('dp.status', team.status?.availability ?? 'standby')}${team.status?.reason ? ` (${team.status.reason})` : ''}`)));
        form.replaceChildren(el('label', {}, t('tk.toTeam'), select), el('button', { type: 'button', class: 'btn primary', 'data-submit': 'dispatch', onclick: () => run('dispatch', { team: select.value }) }, t('tk.act.dispatch')));
        suggestTeam(ticket, select);
      } else if (action === 'resolve') {
        const note = input('note', t('tk.note'));
        const photos = el('input', { type: 'file', name: 'photos', accept: 'image/*', multiple: true });
        form.replaceChildren(note, photos, el('button', {
          type: 'button', class: 'btn primary', 'data-submit': 'resolve',
          onclick: () => run('resolve', { note: note.value, photos: photoMetadata(photos.files) }),
        }, t('tk.act.resolve')));
      } else if (action === 'recall') {
        const reason = input('reason', t('tk.reason'));
        form.replaceChildren(reason, el('button', { type: 'button', class: 'btn primary', 'data-submit': 'recall', onclick: () => run('recall', { reason: reason.value }) }, t('tk.act.recall')));
      } else if (action === 'callback') {
        const satisfied = el('select', { name: 'satisfied' }, el('option', { value: 'true' }, t('tk.satisfied')), el('option', { value: 'false' }, t('tk.unsatisfied')));
        const comment = input('comment', t('tk.comment'));
        form.replaceChildren(satisfied, comment, el('button', { type: 'button', class: 'btn primary', 'data-submit': 'callback', onclick: () => run('callback', { satisfied: satisfied.value === 'true', comment: comment.value }) }, t('tk.act.callback')));
      } else if (action === 'review' || action === 'followUp' || action === 'reply' || action === 'close') {
        const note = input('note', t('tk.note'));
        const body = () => (action === 'close' ? { note: note.value || undefined } : { action, note: note.value || undefined });
        form.replaceChildren(note, el('button', { type: 'button', class: 'btn primary', 'data-submit': action, onclick: () => run(action === 'close' ? 'close' : 'complaint', body()) }, t(`tk.act.${action}`)));
      } else {
        run(action, {});
      }
    });
    box.append(button);
  }
  return el('div', {}, box, form, status);
}

// ---------- the hotline form with interception ----------

function newForm() {
  return {
    caller: '', phone: '', department: '', location: '', category: 'fault', customerClass: 'standard', channel: 'phone',
    priority: 'normal', description: '', deviceId: null, rackId: '', roomId: host.room?.id ?? '', area: '',
    deviceQuery: '', deviceHits: [], status: '', generation: 0, ...noticeFormDefaults(),
  };
}

function renderForm(main) {
  const form = tickets.form;
  const bind = (name, node) => {
    node.name = name;
    node.value = form[name] ?? '';
    node.addEventListener('input', () => (form[name] = node.value));
    node.addEventListener('change', () => (form[name] = node.value));
    return node;
  };
  const row = (key, node) => el('label', { class: 'frow' }, el('span', {}, t(key)), node);
  const options = (values, prefix) => values.map((v) => el('option', { value: v }, label(prefix, v)));
  const rackSelect = el('select', {}, el('option', { value: '' }, t('tk.new.none')), ...(host.room?.racks ?? []).map((r) => el('option', { value: r.id }, r.name ?? r.id)));
  bind('rackId', rackSelect);
  rackSelect.addEventListener('change', () => lookUpInterception());

  const areaInput = bind('area', el('input', { type: 'text', list: 'area-list' }));
  areaInput.addEventListener('change', () => lookUpInterception());
  const deviceBox = el('div', { class: 'device-pick' });
  renderDevicePick(deviceBox);

  const status = el('div', { class: 'tk-form-status', id: 'hotline-status' }, form.status);
  const submit = el('button', { type: 'submit', class: 'btn primary', id: 'hotline-open' }, t('tk.new.open'));
  const node = el('form', { class: 'hotline', id: 'hotline-form', autocomplete: 'off' },
    el('div', { class: 'hotline-grid' },
      row('tk.new.caller', bind('caller', el('input', { type: 'text' }))),
      row('tk.new.phone', bind('phone', el('input', { type: 'tel' }))),
      row('tk.new.department', bind('department', el('input', { type: 'text' }))),
      row('tk.new.location', bind('location', el('input', { type: 'text' }))),
      row('tk.new.category', bind('category', el('select', {}, ...options(CATEGORIES, 'tk.cat')))),
      row('tk.new.customerClass', bind('customerClass', el('select', {}, ...options(CLASSES, 'tk.class')))),
      row('tk.new.channel', bind('channel', el('select', {}, ...options(CHANNELS, 'tk.channel')))),
      row('tk.new.priority', bind('priority', el('select', {}, ...options(PRIORITIES, 'tk.prio')))),
      row('tk.new.area', areaInput),
      el('datalist', { id: 'area-list' }, ...tickets.areas.map((a) => el('option', { value: a }))),
      row('tk.new.rack', rackSelect),
      ...noticeFormRows(bind, row)),
    row('tk.new.device', deviceBox),
    el('div', { id: 'interception', class: 'interception' }),
    row('tk.new.description', bind('description', el('textarea', { rows: 3 }))),
    el('div', { class: 'form-actions' }, submit, status));
  node.addEventListener('submit', (e) => {
    e.preventDefault();
    createTicket(status);
  });
  main.replaceChildren(el('h3', {}, t('tk.new.title')), node);
  renderInterception();
}

function renderDevicePick(box) {
  const form = tickets.form;
  if (form.deviceId) {
    box.replaceChildren(
      el('span', { class: 'chip device-chosen', id: 'hotline-device', 'data-device': form.deviceId }, deviceName(form.deviceId)),
      el('button', { type: 'button', class: 'btn', onclick: () => { form.deviceId = null; form.deviceHits = []; renderDevicePick(box); lookUpInterception(); } }, t('tk.new.clearDevice')));
    return;
  }
  const results = el('ul', { class: 'search-results', id: 'hotline-device-results', hidden: form.deviceHits.length === 0 },
    ...form.deviceHits.map((d) => el('li', { 'data-device': d.id, onmousedown: (e) => { e.preventDefault(); chooseDevice(d.id, box); } },
      el('span', {}, ''), el('div', {}, el('div', {}, d.name), el('div', { class: 'sub' }, [d.rack, d.address, d.assetTag].filter(Boolean).join(' · '))), el('span', { class: 'sub' }, d.kind ? t(`kind.${d.kind}`) : ''))));
  let typing = 0;
  const input = el('input', {
    type: 'search', id: 'hotline-device-search', placeholder: t('tk.new.searchDevice'), value: form.deviceQuery,
    oninput: (e) => {
      form.deviceQuery = e.target.value;
      clearTimeout(typing);
      typing = setTimeout(() => searchDevice(box), 200);
    },
    onkeydown: (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        if (form.deviceHits[0]) chooseDevice(form.deviceHits[0].id, box);
      }
    },
  });
  const fromRoom = el('button', {
    type: 'button', class: 'btn', id: 'hotline-from-room',
    onclick: () => {
      const id = host.selectedDeviceId();
      if (id) chooseDevice(id, box);
      else fromRoom.title = t('tk.new.noSelection');
    },
  }, t('tk.new.fromRoom'));
  box.replaceChildren(el('div', { class: 'device-search' }, input, results), fromRoom);
}

async function searchDevice(box) {
  const form = tickets.form;
  const q = form.deviceQuery.trim();
  if (!q) {
    form.deviceHits = [];
  } else {
    try {
      form.deviceHits = itemsOf(await api.get(`/api/search?q=${encodeURIComponent(q)}&limit=10`));
    } catch (error) {
      console.warn('search', error);
      form.deviceHits = [];
    }
    if (form.deviceQuery.trim() !== q) return;
  }
  const focused = document.activeElement?.id === 'hotline-device-search';
  renderDevicePick(box);
  if (focused) {
    const input = box.querySelector('#hotline-device-search');
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }
}

function chooseDevice(id, box) {
  const form = tickets.form;
  form.deviceId = id;
  form.deviceHits = [];
  form.deviceQuery = '';
  const device = host.room?.devices?.find((d) => d.id === id);
  if (device?.rack) {
    form.rackId = device.rack;
    const rack = document.querySelector('#hotline-form select[name="rackId"]');
    if (rack) rack.value = device.rack;
  }
  renderDevicePick(box);
  lookUpInterception();
}

/** Asks the server what is already open where the report points (device, else rack, else room/area). */
async function lookUpInterception() {
  const form = tickets.form;
  const generation = ++form.generation;
  const q = new URLSearchParams();
  if (form.deviceId) q.set('device', form.deviceId);
  if (form.rackId) q.set('rack', form.rackId);
  if (form.area) q.set('area', form.area);
  if (!form.deviceId && !form.rackId && !form.area) {
    tickets.interception = { loaded: false, tickets: [], alarms: [] };
    renderInterception();
    return;
  }
  tickets.interception = { loaded: false, checking: true, tickets: [], alarms: [] };
  renderInterception();
  try {
    const found = await api.get(`/api/tickets/intercept?${q}`);
    if (generation !== form.generation) return;
    tickets.interception = {
      loaded: true,
      tickets: (found?.tickets ?? []).map((m) => (m.ticket ? { ...m.ticket, matchedOn: m.matchedOn } : m)),
      alarms: found?.alarms ?? [],
    };
  } catch (error) {
    if (generation !== form.generation) return;
    tickets.interception = { loaded: true, tickets: [], alarms: [], error: error.message };
  }
  renderInterception();
}

function renderInterception() {
  const box = document.getElementById('interception');
  if (!box) return;
  const found = tickets.interception;
  box.className = 'interception';
  if (found.checking) {
    box.replaceChildren(el('div', { class: 'muted' }, t('tk.icpt.checking')));
    return;
  }
  if (!found.loaded) {
    box.replaceChildren();
    return;
  }
  if (found.error) {
    box.replaceChildren(el('div', { class: 'error' }, `${t('tk.loadFailed')}: ${found.error}`));
    return;
  }
  if (found.tickets.length === 0 && found.alarms.length === 0) {
    box.replaceChildren(el('div', { class: 'muted', id: 'interception-none' }, t('tk.icpt.none')));
    return;
  }
  box.classList.add('offered');
  const ticketRows = found.tickets.map((ticket) => el('li', { class: 'icpt-ticket', 'data-id': String(ticket.id) },
    el('div', {},
      el('b', {}, ticketNumber(ticket)), ' ', stateBadge(stateOf(ticket)), ' ', ticketTitle(ticket),
      el('div', { class: 'sub' }, [ticket.matchedOn && label('tk.match', ticket.matchedOn), deviceName(deviceOf(ticket)), ticket.rackId, formatDateTime(ticket.reportedAt)].filter(Boolean).join(' · '))),
    can('openTickets') ? el('button', { type: 'button', class: 'btn primary icpt-link', 'data-id': String(ticket.id), onclick: (e) => linkReport(ticket, e.target) }, t('tk.icpt.link')) : null));
  const alarmRows = found.alarms.map((alarm) => el('li', { class: 'icpt-alarm', 'data-id': String(alarm.id) },
    el('div', {},
      el('span', { class: `sev ${alarm.severity ?? ''}` }, alarm.severity ?? ''), ' ', alarmMessage(alarm) || alarm.ruleName || '',
      el('div', { class: 'sub' }, [deviceName(alarm.deviceId ?? alarm.target?.deviceId), alarm.ticketId != null ? `#${alarm.ticketId}` : null, formatDateTime(alarm.raisedAt)].filter(Boolean).join(' · '))),
    alarm.ticketId != null && can('openTickets')
      ? el('button', { type: 'button', class: 'btn primary icpt-link', 'data-id': String(alarm.ticketId), onclick: (e) => linkReport({ id: alarm.ticketId }, e.target) }, t('tk.icpt.link'))
      : null));
  box.replaceChildren(...[
    el('div', { class: 'icpt-title' }, `⚠ ${t('tk.icpt.title')}`),
    el('div', { class: 'muted' }, t('tk.icpt.hint')),
    ticketRows.length ? el('h4', {}, t('tk.icpt.tickets')) : null,
    ticketRows.length ? el('ul', { class: 'icpt-list', id: 'interception-tickets' }, ...ticketRows) : null,
    alarmRows.length ? el('h4', {}, t('tk.icpt.alarms')) : null,
    alarmRows.length ? el('ul', { class: 'icpt-list', id: 'interception-alarms' }, ...alarmRows) : null,
  ].filter(Boolean));
}

function reportBody() {
  const f = tickets.form;
  return withNoticeContacts({
    caller: { name: f.caller || null, phone: f.phone || null, department: f.department || null, location: f.location || null },
    category: f.category, customerClass: f.customerClass, channel: f.channel, priority: f.priority,
    description: f.description || undefined, title: f.description.split('\n')[0].slice(0, 80) || undefined,
    deviceId: f.deviceId ?? undefined, rackId: f.rackId || undefined, roomId: f.roomId || undefined, areaId: f.area || undefined,
  }, f);
}

async function linkReport(ticket, button) {
  const status = document.getElementById('hotline-status');
  button.disabled = true;
  try {
    await api.post(`/api/tickets/${encodeURIComponent(ticket.id)}/intercept`, reportBody());
    tickets.lastResult = { kind: 'linked', id: ticket.id };
    tickets.form = newForm();
    tickets.form.status = fill(t('tk.new.linked'), ticket.number ?? `#${ticket.id}`);
    tickets.interception = { loaded: false, tickets: [], alarms: [] };
    location.hash = `#tickets/${ticket.id}`;
  } catch (error) {
    button.disabled = false;
    if (status) {
      status.textContent = `${t('tk.actionFailed')}: ${error.message}`;
      status.className = 'tk-form-status error';
    }
  }
}

async function createTicket(status) {
  try {
    const created = normalize(await api.post('/api/tickets', reportBody()));
    tickets.lastResult = { kind: 'created', id: created.id };
    tickets.form = newForm();
    tickets.form.status = fill(t('tk.new.created'), ticketNumber(created));
    tickets.interception = { loaded: false, tickets: [], alarms: [] };
    location.hash = `#tickets/${created.id}`;
  } catch (error) {
    status.textContent = `${t('tk.actionFailed')}: ${error.message}`;
    status.className = 'tk-form-status error';
  }
}

// ---------- test hooks ----------

expose('__tickets', {
  view: () => view.name,
  tab: () => tickets.tab ?? 'list',
  listIds: () => tickets.list.map((ticket) => ticket.id),
  listLoaded: () => tickets.listLoaded,
  detailId: () => tickets.detail?.id ?? null,
  detailSteps: () => (tickets.detail ? stepsOf(tickets.detail).map((s) => s.step) : []),
  detailSegments: () => (tickets.detail ? segmentsOf(tickets.detail).map((s) => liveSegment(s, Date.now())).map((s) => ({ id: s.id, state: s.state })) : []),
  interception: () => ({ loaded: tickets.interception.loaded, tickets: tickets.interception.tickets.map((x) => x.id), alarms: tickets.interception.alarms.map((x) => x.id) }),
  lastResult: () => tickets.lastResult,
  messages: () => ticketMessages(),
});

