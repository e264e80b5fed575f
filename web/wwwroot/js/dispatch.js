// The dispatch board: every team with its status (standby / busy / away with a reason), members, skills, vehicles
// and queue; the tickets waiting for dispatch, each sent to a team with one click (or dragged onto it); and the
// acceptance escalations ("not accepted in 4 min: phone the team", "escalated to the supervisors") as they happen.
//
// Test hooks (only with the test flag, see testhooks.js): window.__dispatch = { loaded(), teams(): [{ id, status, queue: number[] }], waiting(): number[],
//   escalations(): [{ ticketId, level }] }
import { t, lang, addText, localName } from './i18n.js';
import { el, api, itemsOf, label, fill, formatClock, formatDuration } from './toolkit.js';
import { ticketNumber, ticketTitle, stateBadge, deviceOf } from './ticketkit.js';
import { onTicketMessage } from './consolestate.js';
import { can, currentUser } from './session.js';
import { expose } from './testhooks.js';

addText({
  zh: {
    'dp.title': '调度台', 'dp.waiting': '待派工单', 'dp.noneWaiting': '没有待派的工单', 'dp.teams': '班组',
    'dp.members': '成员', 'dp.skills': '技能', 'dp.vehicles': '抢修车', 'dp.queue': '工单队列', 'dp.queueEmpty': '队列为空',
    'dp.supervisors': '督办联系人', 'dp.setStatus': '设置状态', 'dp.reason': '离开原因', 'dp.dispatchTo': '派给',
    'dp.dispatchHere': '派到此班组', 'dp.pickTicket': '选择工单', 'dp.escalations': '督办提醒',
    'dp.esc.phoneReceiver': '{0} 派出 {1} 分钟未受理：请电话联系 {2}', 'dp.esc.supervisors': '{0} 仍未受理：已升级到 {1} 的督办人 {2}',
    'dp.building': '楼宇', 'dp.phone': '电话',
    'dp.nextTeam': '同技能下一班组', 'dp.updated': '已更新', 'dp.area': '区域',
  },
  en: {
    'dp.title': 'Dispatch board', 'dp.waiting': 'Waiting for dispatch', 'dp.noneWaiting': 'Nothing waiting', 'dp.teams': 'Teams',
    'dp.members': 'Members', 'dp.skills': 'Skills', 'dp.vehicles': 'Vehicles', 'dp.queue': 'Queue', 'dp.queueEmpty': 'Queue empty',
    'dp.supervisors': 'Supervisors', 'dp.setStatus': 'Set status', 'dp.reason': 'Reason for away', 'dp.dispatchTo': 'Dispatch to',
    'dp.dispatchHere': 'Dispatch here', 'dp.pickTicket': 'Pick a ticket', 'dp.escalations': 'Escalations',
    'dp.esc.phoneReceiver': '{0} not accepted in {1} min: phone {2}', 'dp.esc.supervisors': '{0} still not accepted: escalated to the supervisors of {1}: {2}',
    'dp.building': 'Building', 'dp.phone': 'Phone',
    'dp.nextTeam': 'Next team with the same skill', 'dp.updated': 'updated', 'dp.area': 'Area',
  },
});

const board = {
  root: null,
  teams: [],
  waiting: [],
  open: [],
  escalations: new Map(), // ticket id -> { ticketId, number, level, team, at, text }
  loaded: false,
  error: null,
  chosen: '', // ticket id picked for dispatch
  drafts: new Map(), // team id -> { availability, reason } being edited (survives the board's re-renders)
  subscribed: false,
  queued: 0,
};

// branch "language": areas and skills by their names in the console's language (service.yaml nameEn), ids as a fallback
const teamAreas = (team) => (team.areaNames?.length ? team.areaNames.map(localName) : team.areas ?? []).join(', ');
const teamSkills = (team) => (team.skillNames?.length
  ? team.skillNames.map((s) => ({ id: s.id, text: localName(s) }))
  : (team.skills ?? []).map((s) => ({ id: s, text: s })));
const teamName = (team) => (lang() === 'en' ? team?.nameEn ?? team?.name : team?.name) ?? team?.id;
const statusOf = (team) => (typeof team.status === 'string' ? team.status : team.status?.availability ?? team.availability ?? 'standby');
const reasonOf = (team) => team.status?.reason ?? team.awayReason ?? team.reason ?? null;

/** Ticket ids in a team's queue, from the team answer or from the open tickets it holds. */
function queueOf(team) {
  if (Array.isArray(team.queue)) return team.queue;
  return board.open.filter((ticket) => ticket.holder === team.id);
}

export function show(root) {
  board.root = root;
  if (!board.subscribed) {
    board.subscribed = true;
    onTicketMessage((message) => {
      noteEscalation(message);
      clearTimeout(board.queued);
      board.queued = setTimeout(() => load(), 300);
    });
  }
  render();
  load();
}

async function load() {
  try {
    const [teams, open] = await Promise.all([api.get('/api/teams'), api.get('/api/tickets?state=new&pageSize=200')]);
    board.teams = itemsOf(teams);
    board.open = itemsOf(open);
    // waiting: at the NOC (new), or with a repair centre that has not passed it to a team yet
    const centres = board.teams.filter((team) => team.kind === 'centre');
    board.waiting = [...board.open, ...centres.flatMap((centre) => queueOf(centre))];
    for (const ticket of board.teams.flatMap((team) => queueOf(team))) {
      const level = ticket.escalation ?? 'none';
      if (level !== 'none' && board.escalations.get(ticket.id)?.level !== level) board.escalations.set(ticket.id, { ticketId: ticket.id, number: ticketNumber(ticket), level, team: ticket.holder ?? ticket.teamId, at: ticket.updatedAt });
      if (level === 'none') board.escalations.delete(ticket.id);
    }
    board.error = null;
  } catch (error) {
    board.error = error.message;
  }
  await loadNextTeams();
  board.loaded = true;
  if (board.root && !board.root.hidden) render();
}

/** For every team that is away: the next team with the same skill that dispatch should use instead. */
async function loadNextTeams() {
  const away = board.teams.filter((team) => team.kind === 'field' && statusOf(team) === 'away');
  board.next = new Map(await Promise.all(away.map(async (team) => {
    try {
      return [team.id, itemsOf(await api.get(`/api/teams/next?exclude=${encodeURIComponent(team.id)}`))[0] ?? null];
    } catch {
      return [team.id, null];
    }
  })));
}

function noteEscalation(message) {
  const kind = message?.kind ?? message?.event ?? message?.type;
  const ticket = message?.ticket ?? {};
  const id = ticket.id ?? message?.ticketId;
  if (id == null) return;
  const level = message?.level ?? message?.escalation ?? ticket.escalation;
  if (kind === 'escalated' || kind === 'escalation' || (level && level !== 'none')) {
    board.escalations.set(id, { ticketId: id, number: ticket.number ?? message.number ?? `#${id}`, level: level ?? 'phoneReceiver', team: message.team ?? ticket.holder ?? ticket.teamId, at: message.at, text: message.detail ?? message.text });
  } else if (kind === 'accepted' || kind === 'recalled' || kind === 'resolved' || kind === 'closed') {
    board.escalations.delete(id);
  }
}

function escalationText(e) {
  const team = board.teams.find((x) => x.id === e.team);
  if (e.level === 'supervisors') {
    const people = (team?.supervisors ?? []).map((s) => `${s.name} ${s.phone ?? ''}`.trim()).join('、') || '—';
    return fill(t('dp.esc.supervisors'), e.number, teamName(team) ?? e.team, people);
  }
  return fill(t('dp.esc.phoneReceiver'), e.number, 4, `${teamName(team) ?? e.team ?? ''} ${team?.phone ?? ''}`.trim());
}

async function dispatch(ticketId, teamId, status) {
  try {
    await api.post(`/api/tickets/${encodeURIComponent(ticketId)}/dispatch`, { team: teamId });
    board.chosen = '';
    await load();
  } catch (error) {
    if (status) status.textContent = error.message;
  }
}

async function setStatus(team, availability, reason, status) {
  try {
    await api.put(`/api/teams/${encodeURIComponent(team.id)}/status`, { availability, reason: reason || undefined });
    board.drafts.delete(team.id);
    await load();
  } catch (error) {
    status.textContent = error.message;
  }
}

/** A duty lead sets any team's status, a technician only their own team's (the server decides; this hides the form). */
function mayChangeStatus(team) {
  if (!can('teamStatus')) return false;
  const user = currentUser();
  return user?.role !== 'technician' || user.team === team.id;
}

function render() {
  const root = board.root;
  if (!root) return;
  const escalations = [...board.escalations.values()];
  const waitingList = board.waiting.length
    ? el('ul', { class: 'dp-queue', id: 'dp-waiting' }, ...board.waiting.map((ticket) => el('li', {
      draggable: true, 'data-id': String(ticket.id), class: String(board.chosen) === String(ticket.id) ? 'chosen' : '',
      ondragstart: (e) => e.dataTransfer.setData('text/plain', String(ticket.id)),
      onclick: () => { board.chosen = String(ticket.id); render(); },
    }, el('input', { type: 'radio', name: 'dp-chosen', checked: String(board.chosen) === String(ticket.id) }),
    el('b', {}, ticketNumber(ticket)), stateBadge(ticket.status ?? ticket.state), ticketTitle(ticket),
    el('span', { class: 'muted' }, [ticket.areaId ?? ticket.area, deviceOf(ticket), formatClock(ticket.reportedAt ?? ticket.createdAt)].filter(Boolean).join(' · ')))))
    : el('div', { class: 'muted' }, t('dp.noneWaiting'));
  const teams = board.teams.filter((team) => (team.kind ?? 'field') !== 'noc');
  root.replaceChildren(el('div', { class: 'dp-board' },
    board.error ? el('div', { class: 'error' }, board.error) : null,
    escalations.length ? el('div', { class: 'dp-escalations', id: 'dp-escalations' },
      el('h3', {}, t('dp.escalations')),
      ...escalations.map((e) => el('div', { class: `dp-escalation ${e.level}`, 'data-ticket': String(e.ticketId), 'data-level': e.level },
        el('b', {}, '⚠'), el('span', {}, escalationText(e)),
        el('a', { class: 'btn', href: `#tickets/${e.ticketId}` }, e.number)))) : null,
    el('div', { class: 'dp-unassigned' }, el('h3', {}, `${t('dp.waiting')} (${board.waiting.length})`), waitingList),
    el('h3', {}, t('dp.teams')),
    el('div', { class: 'dp-teams', id: 'dp-teams' }, ...teams.map(teamCard))));
}

function teamCard(team) {
  const availability = statusOf(team);
  const status = el('div', { class: 'error' });
  const draft = board.drafts.get(team.id) ?? { availability, reason: reasonOf(team) ?? '' };
  const keep = () => board.drafts.set(team.id, { availability: select.value, reason: reason.value });
  const select = el('select', { name: 'availability', onchange: keep }, ...['standby', 'busy', 'away'].map((s) => el('option', { value: s, selected: s === draft.availability }, label('dp.status', s))));
  select.value = draft.availability;
  const reason = el('input', { type: 'text', name: 'reason', placeholder: t('dp.reason'), value: draft.reason, oninput: keep });
  const queue = queueOf(team);
  const card = el('div', {
    class: 'dp-team', 'data-team': team.id, 'data-status': availability,
    ondragover: (e) => { e.preventDefault(); card.classList.add('drop'); },
    ondragleave: () => card.classList.remove('drop'),
    ondrop: (e) => { e.preventDefault(); card.classList.remove('drop'); dispatch(e.dataTransfer.getData('text/plain'), team.id, status); },
  },
  el('div', { class: 'dp-team-head' },
    el('h4', {}, teamName(team)),
    el('span', { class: `dp-status ${availability}` }, label('dp.status', availability), reasonOf(team) && availability === 'away' ? ` · ${reasonOf(team)}` : '')),
  el('div', { class: 'muted' }, [label('dp.kind', team.kind ?? 'field'), team.building && `${t('dp.building')} ${team.building}`, team.phone && `${t('dp.phone')} ${team.phone}`, teamAreas(team)].filter(Boolean).join(' · ')),
  team.skills?.length ? el('div', {}, el('span', { class: 'muted' }, `${t('dp.skills')}: `), ...teamSkills(team).map((s) => el('span', { class: 'chip', 'data-skill': s.id }, s.text))) : null,
  team.members?.length ? el('div', {}, el('span', { class: 'muted' }, `${t('dp.members')}: `), team.members.map((m) => m.name ?? m.id).join('、')) : null,
  team.vehicles?.length ? el('div', {}, el('span', { class: 'muted' }, `${t('dp.vehicles')}: `), team.vehicles.map((v) => `${v.name ?? v.id}${v.plate ? ` (${v.plate})` : ''}`).join('、')) : null,
  team.supervisors?.length ? el('div', {}, el('span', { class: 'muted' }, `${t('dp.supervisors')}: `), team.supervisors.map((s) => `${s.name} ${s.phone ?? ''}`.trim()).join('、')) : null,
  availability === 'away' && board.next?.get(team.id)
    ? el('div', { class: 'dp-next', 'data-next': board.next.get(team.id).id }, `→ ${t('dp.nextTeam')}: `, el('b', {}, teamName(board.next.get(team.id))))
    : null,
  el('div', { class: 'muted' }, `${t('dp.queue')} (${queue.length})`),
  queue.length
    ? el('ul', { class: 'dp-queue' }, ...queue.map((ticket) => el('li', { 'data-id': String(ticket.id), onclick: () => (location.hash = `#tickets/${ticket.id}`) },
      el('b', {}, ticketNumber(ticket)), ticket.status || ticket.state ? stateBadge(ticket.status ?? ticket.state) : null, ticketTitle(ticket),
      ticket.ageSeconds != null ? el('span', { class: 'muted' }, formatDuration(ticket.ageSeconds)) : null)))
    : el('div', { class: 'muted' }, t('dp.queueEmpty')),
  el('div', { class: 'dp-row' },
    el('button', { type: 'button', class: 'btn primary', 'data-dispatch': team.id, disabled: !board.chosen || availability === 'away' || !can('dispatchTickets'), onclick: () => dispatch(board.chosen, team.id, status) }, t('dp.dispatchHere'))),
  mayChangeStatus(team) ? el('div', { class: 'dp-row' }, select, reason,
    el('button', { type: 'button', class: 'btn', 'data-set-status': team.id, onclick: () => setStatus(team, select.value, reason.value, status) }, t('dp.setStatus'))) : null,
  status);
  return card;
}

expose('__dispatch', {
  loaded: () => board.loaded,
  teams: () => board.teams.map((team) => ({ id: team.id, status: statusOf(team), queue: queueOf(team).map((x) => x.id) })),
  waiting: () => board.waiting.map((x) => x.id),
  escalations: () => [...board.escalations.values()].map((e) => ({ ticketId: e.ticketId, level: e.level })),
});
