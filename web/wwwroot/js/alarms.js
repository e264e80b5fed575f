// Alarms in the console: the flashing banner with the worst unacknowledged alarm, the full alarm view (alarmview.js:
// columns, sort, filters, search, incidents, bulk acknowledge, keyboard, the event history), the console mute, the
// alarm sound per severity (alarmsound.js: armed once, remembered across reloads) that repeats until the alarm is
// acknowledged, and the alarm overlay of the 3D room (scene.setAlarms).
//
// The hub sends `alarm` ({ kind, alarm, at }), `mute` ({ muted, by, reason, at, until }) and `incident` (an incident)
// to every console; on connect the console asks for the whole list with the hub method GetAlarms and reads
// /api/incidents?open=true (a server without incidents answers 404: the view then lists alarms only).
//
// Test hooks (only with the test flag, see testhooks.js): window.__alarms = {
//   ready: boolean                    the first list has arrived (GetAlarms answered)
//   received(): number                `alarm` messages applied
//   list(): [{ id, ruleId, severity, state, deviceId, port, silent, acknowledged, raisedAt, incidentId }]   active alarms
//   rows(): number                    alarms the view shows (after filters)
//   rowIds(): [id]                    the alarm rows of the view, top to bottom
//   cursor(): string|null             the keyboard's row ('a:ID' alarm, 'i:ID' incident)
//   selected(): [id]                  alarms ticked
//   history(): [kind]|null            the open detail's event history (raised, acknowledged, shelved, joinedIncident, ...)
//   incidentsAvailable(): boolean|null  /api/incidents answered (null: not asked yet)
//   bannerVisible(): boolean, bannerAlarmId(): number|null
//   armed(): boolean                  the operator armed the sound (remembered in localStorage)
//   armOverlayVisible(): boolean      the "click anywhere to arm the alarm sound" overlay shows
//   audioEnabled(): boolean           the sound is unlocked on this page (a gesture played audio)
//   audioPlaying(): boolean           the alarm sound is wanted and playing now
//   beeps(): number, playingEvents(): number   `playing` events of the alarm sounds' <audio> elements
//   playedSeconds(): number           HTMLMediaElement.played of the sound now playing
//   playingSeverity(): string|null
//   muted(): boolean
// }
import { t, lang, onLanguageChange, addText, alarmMessage } from './i18n.js';
import { api, can } from './session.js';
import { expose } from './testhooks.js';
import { SEVERITIES, SEVERITY_RANK as RANK } from './toolkit.js';
import { createAlarmView } from './alarmview.js';
import { createPlayer, isArmed, setArmed } from './alarmsound.js';

const MAX_MUTE_MINUTES = 30;
const BULK_CHUNK = 100; // the server's bound (AlarmEndpoints.MaxBulkAcknowledge, the JSON list bound)

const $ = (id) => document.getElementById(id);

const state = {
  alarms: new Map(), // id -> snapshot
  incidents: null, // id -> incident, null while the server has none (404) or before the first answer
  incidentsAvailable: null,
  mute: { muted: false },
  received: 0,
  ready: false,
  scene: null,
  roomId: null,
  deviceName: (id) => id,
  portName: (deviceId, port) => String(port),
  where: () => '',
  locate: () => {},
  hub: null,
  panelOpen: false,
  docked: false,
  player: null,
  view: null,
};

const alarmsHooks = expose('__alarms', {
  ready: false,
  received: () => state.received,
  list: () => sortedBySeverity([...state.alarms.values()]).map((a) => ({
    id: a.id, ruleId: a.ruleId, severity: a.severity, state: a.state, deviceId: a.target.deviceId, port: a.target.port ?? null,
    silent: isSilent(a), acknowledged: !!a.acknowledgement, raisedAt: a.raisedAt, incidentId: a.incidentId ?? null,
  })),
  rows: () => state.view?.view.shown.length ?? 0,
  rowIds: () => [...document.querySelectorAll('#alarm-rows tr[data-alarm-id]')].map((tr) => Number(tr.dataset.alarmId)),
  cursor: () => state.view?.view.cursor ?? null,
  selected: () => [...(state.view?.view.selected ?? [])],
  history: () => state.view?.history() ?? null,
  incidentsAvailable: () => state.incidentsAvailable,
  bannerVisible: () => !$('alarm-banner').hidden,
  bannerAlarmId: () => (worstUnacknowledged()?.id ?? null),
  armed: () => isArmed(),
  armOverlayVisible: () => !!document.getElementById('alarm-arm') && !$('alarm-arm').hidden,
  audioEnabled: () => !!state.player?.unlocked,
  audioPlaying: () => state.player?.severity != null,
  beeps: () => state.player?.playingEvents ?? 0,
  playingEvents: () => state.player?.playingEvents ?? 0,
  playedSeconds: () => state.player?.playedSeconds() ?? 0,
  playingSeverity: () => state.player?.severity ?? null,
  muted: () => isMuted(),
});

// the console branch's strings (kept here with the module that uses them)
addText({
  zh: {
    'alarms.col.device': '设备', 'alarms.col.where': '机柜 / U', 'alarms.col.port': '端口', 'alarms.col.age': '持续', 'alarms.col.ackBy': '确认人',
    'alarms.col.incident': '事件', 'alarms.rule': '规则', 'alarms.search': '搜索告警（device: rack: port: msg: by:）',
    'alarms.searchTitle': '在所有列中搜索；用 device:、rack:、port:、msg:、by:、incident: 只搜一列',
    'alarms.noneMatch': '没有符合筛选条件的告警', 'alarms.select': '选择', 'alarms.selectAll': '选择全部显示的告警',
    'alarms.selectedN': '已选 {n} 条', 'alarms.ackSelected': '确认所选（{n}）', 'alarms.ackShown': '确认全部显示的（{n}）',
    'alarms.dialog.ackMany': '批量确认告警', 'alarms.ackManyTarget': '{n} 条告警，同一备注',
    'alarms.ackManyFailed': '{n} 条未能确认', 'alarms.keys': '键盘：↑↓ 移动 · a 确认 · l 定位 · Enter 详情 · 空格 选择',
    'alarms.dock': '停靠 / 展开', 'alarms.devices': '台设备', 'alarms.incidentAlarms': '{n} 条告警', 'alarms.filterSeverity': '只看这个级别',
    'alarms.history': '事件记录',
    'alarms.event.raised': '发生', 'alarms.event.cleared': '恢复', 'alarms.event.acknowledged': '确认', 'alarms.event.closed': '关闭',
    'alarms.event.shelved': '屏蔽', 'alarms.event.unshelved': '取消屏蔽', 'alarms.event.joinedIncident': '并入事件',
    'alarms.event.suppressed': '被抑制', 'alarms.event.severity': '级别变化', 'alarms.event.maintenance': '进入维护',
    'alarms.event.maintenanceEnded': '维护结束', 'alarms.event.ticketWanted': '需要工单',
    'alarms.arm': '点击任意位置启用告警声音', 'alarms.armWhy': '告警声音已设为开启，但浏览器要求每次打开页面后点击一次。',
    'alarms.disarm': '关闭告警声音',
  },
  en: {
    'alarms.col.device': 'Device', 'alarms.col.where': 'Rack / U', 'alarms.col.port': 'Port', 'alarms.col.age': 'Age', 'alarms.col.ackBy': 'Acknowledged by',
    'alarms.col.incident': 'Incident', 'alarms.rule': 'Rule', 'alarms.search': 'Search alarms (device: rack: port: msg: by:)',
    'alarms.searchTitle': 'Searches every column; device:, rack:, port:, msg:, by:, incident: search one column',
    'alarms.noneMatch': 'No alarm matches the filters', 'alarms.select': 'Select', 'alarms.selectAll': 'Select all shown alarms',
    'alarms.selectedN': '{n} selected', 'alarms.ackSelected': 'Acknowledge selected ({n})', 'alarms.ackShown': 'Acknowledge all shown ({n})',
    'alarms.dialog.ackMany': 'Acknowledge alarms', 'alarms.ackManyTarget': '{n} alarms, one comment',
    'alarms.ackManyFailed': '{n} could not be acknowledged', 'alarms.keys': 'Keys: ↑↓ move · a acknowledge · l locate · Enter details · Space select',
    'alarms.dock': 'Dock / expand', 'alarms.devices': 'devices', 'alarms.incidentAlarms': '{n} alarms', 'alarms.filterSeverity': 'Show only this severity',
    'alarms.history': 'Event history',
    'alarms.event.raised': 'Raised', 'alarms.event.cleared': 'Cleared', 'alarms.event.acknowledged': 'Acknowledged', 'alarms.event.closed': 'Closed',
    'alarms.event.shelved': 'Shelved', 'alarms.event.unshelved': 'Unshelved', 'alarms.event.joinedIncident': 'Joined incident',
    'alarms.event.suppressed': 'Suppressed', 'alarms.event.severity': 'Severity changed', 'alarms.event.maintenance': 'Maintenance began',
    'alarms.event.maintenanceEnded': 'Maintenance ended', 'alarms.event.ticketWanted': 'Ticket wanted',
    'alarms.arm': 'Click anywhere to arm the alarm sound', 'alarms.armWhy': 'The alarm sound is on, but the browser needs one click on every page load.',
    'alarms.disarm': 'Turn the alarm sound off',
  },
});

// ---------- model ----------

const isSilent = (a) => a.suppressedBy != null || a.shelving != null || !!a.inMaintenance;
const isAlerting = (a) => a.state === 'raised' && !isSilent(a);
/** The alarm's text in the console's language: messageEn in English (the Chinese message when a rule has none). */
const messageOf = (a) => alarmMessage(a);

function isMuted() {
  return !!state.mute.muted && (!state.mute.until || new Date(state.mute.until).getTime() > Date.now());
}

function worstUnacknowledged() {
  let worst = null;
  for (const a of state.alarms.values()) {
    if (!isAlerting(a)) continue;
    if (!worst || RANK[a.severity] > RANK[worst.severity]
      || (RANK[a.severity] === RANK[worst.severity] && a.raisedAt > worst.raisedAt)) worst = a;
  }
  return worst;
}

function sortedBySeverity(list) {
  const value = (a) => RANK[a.severity] * 1e13 + new Date(a.raisedAt).getTime() / 1e3;
  return list.sort((x, y) => value(y) - value(x) || y.id - x.id);
}

function apply(message) {
  const a = message.alarm;
  if (!a) return;
  state.received++;
  if (message.kind === 'closed' || a.state === 'closed') state.alarms.delete(a.id);
  else state.alarms.set(a.id, a);
  if (state.view?.view.detailId === a.id) state.view.refreshDetail();
  queueRender();
}

function applyIncident(incident) {
  if (!incident || incident.id == null) return;
  if (!state.incidents) state.incidents = new Map();
  if (incident.end) state.incidents.delete(incident.id);
  else state.incidents.set(incident.id, incident);
  queueRender();
}

async function loadIncidents() {
  try {
    const list = await api('/api/incidents?open=true');
    const items = Array.isArray(list) ? list : list?.items ?? [];
    state.incidents = new Map(items.map((i) => [i.id, i]));
    state.incidentsAvailable = true;
  } catch (error) {
    // a server without incidents (404) or a reader without access: the view lists alarms one by one
    state.incidents = null;
    state.incidentsAvailable = false;
    if (error?.status !== 404) console.warn('incidents', error);
  }
  queueRender();
}

// ---------- rendering ----------

let renderQueued = false;
function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  renderBanner();
  renderCount();
  state.view?.render();
  renderMute();
  updateScene();
  updateSound();
}

function severityChip(severity) {
  const chip = document.createElement('span');
  chip.className = `sev sev-chip sev-${severity}`;
  chip.dataset.severity = severity;
  chip.textContent = t(`sev.${severity}`);
  return chip;
}

function portText(a) {
  return a.target.port == null ? '' : state.portName(a.target.deviceId, a.target.port);
}

function targetText(a) {
  const name = state.deviceName(a.target.deviceId);
  return a.target.port == null ? name : `${name} · ${portText(a)}`;
}

function timeText(iso) {
  const d = new Date(iso);
  return d.toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

function renderBanner() {
  const banner = $('alarm-banner');
  const worst = worstUnacknowledged();
  banner.hidden = !worst;
  if (!worst) return;
  banner.dataset.severity = worst.severity;
  banner.dataset.alarmId = worst.id;
  const others = [...state.alarms.values()].filter(isAlerting).length - 1;
  $('alarm-banner-severity').replaceChildren(severityChip(worst.severity));
  $('alarm-banner-target').textContent = targetText(worst);
  $('alarm-banner-text').textContent = messageOf(worst);
  $('alarm-banner-time').textContent = timeText(worst.raisedAt);
  $('alarm-banner-more').textContent = others > 0 ? t('alarms.more').replace('{n}', others) : '';
  banner.querySelector('[data-action="ack"]').hidden = !can('handleAlarms');
}

/** The banner floats over the top of the stage: its height goes to --alarm-banner-h so panels and views start below it. */
function watchBannerHeight() {
  const banner = $('alarm-banner');
  const stage = banner.parentElement;
  const publish = () => stage.style.setProperty('--alarm-banner-h', `${banner.hidden ? 0 : Math.ceil(banner.getBoundingClientRect().height)}px`);
  if (window.ResizeObserver) new ResizeObserver(publish).observe(banner);
  new MutationObserver(publish).observe(banner, { attributes: true, attributeFilter: ['hidden'] });
  publish();
}

function renderCount() {
  const alerting = [...state.alarms.values()].filter(isAlerting).length;
  $('alarm-toggle-count').textContent = `${state.alarms.size}`;
  $('alarm-toggle').classList.toggle('alerting', alerting > 0);
}

function renderMute() {
  const muted = isMuted();
  const button = $('alarm-mute');
  button.classList.toggle('active', muted);
  button.textContent = muted
    ? `${t('alarms.muted')} ${new Date(state.mute.until).toLocaleTimeString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', hour12: false })}`
    : t('alarms.mute');
  // the mute's state shows to everyone; only the roles that may mute get a live button (the server decides anyway)
  button.disabled = !can('silenceAlarms');
  button.title = muted ? `${state.mute.by}: ${state.mute.reason}` : can('silenceAlarms') ? t('alarms.muteTitle') : t('auth.forbidden');
  $('alarm-sound').hidden = !!state.player?.unlocked;
  renderArmOverlay();
}

function stateText(a) {
  if (a.shelving) return t('alarms.state.shelved');
  if (a.inMaintenance) return t('alarms.state.maintenance');
  if (a.suppressedBy != null) return t('alarms.state.suppressed');
  const base = t(`alarms.state.${a.state}`);
  return a.state === 'cleared' && !a.acknowledgement ? `${base} · ${t('alarms.state.unacked')}` : base;
}

function updateScene() {
  if (!state.scene) return;
  const items = [];
  for (const a of state.alarms.values()) {
    if (a.state === 'closed' || a.target.roomId !== state.roomId) continue;
    // cleared alarms waiting for acknowledgement no longer glow: the condition has gone
    if (a.state === 'cleared') continue;
    items.push({ deviceId: a.target.deviceId, port: a.target.port ?? null, severity: a.severity, silent: isSilent(a) || a.state === 'acknowledged' });
  }
  state.scene.setAlarms(items);
}

// ---------- sound ----------

/** The arming overlay: large, over everything, while the sound is armed but this page has had no gesture yet. */
function renderArmOverlay() {
  let overlay = document.getElementById('alarm-arm');
  const show = isArmed() && !!state.player && !state.player.unlocked;
  if (!overlay && !show) return;
  if (!overlay) {
    overlay = document.createElement('div');
    overlay.id = 'alarm-arm';
    overlay.className = 'alarm-arm';
    overlay.setAttribute('role', 'alertdialog');
    overlay.append(
      Object.assign(document.createElement('div'), { className: 'alarm-arm-icon', textContent: '🔔' }),
      Object.assign(document.createElement('div'), { className: 'alarm-arm-text', id: 'alarm-arm-text' }),
      Object.assign(document.createElement('div'), { className: 'alarm-arm-why', id: 'alarm-arm-why' }),
      Object.assign(document.createElement('button'), { type: 'button', className: 'btn small alarm-disarm', id: 'alarm-disarm' }),
    );
    overlay.addEventListener('click', (e) => {
      if (e.target.closest('#alarm-disarm')) {
        setArmed(false);
        renderMute();
        return;
      }
      enableSound();
    });
    document.body.append(overlay);
  }
  overlay.hidden = !show;
  $('alarm-arm-text').textContent = t('alarms.arm');
  $('alarm-arm-why').textContent = t('alarms.armWhy');
  $('alarm-disarm').textContent = t('alarms.disarm');
}

/** Runs inside a click: unlocks the sound on this page and remembers that the operator wants it. */
async function enableSound() {
  setArmed(true);
  await state.player.unlock();
  renderMute();
  updateSound();
}

function updateSound() {
  if (!state.player) return;
  const worst = worstUnacknowledged();
  state.player.play(worst && !isMuted() ? worst.severity : null);
}

// ---------- commands ----------

/** Opens the dialog for an action and resolves with { text, minutes } or null when cancelled (the actor is the signed-in user). */
function ask(kind, alarm, targetLine) {
  const dialog = $('alarm-dialog');
  $('alarm-dialog-title').textContent = t(`alarms.dialog.${kind}`);
  $('alarm-dialog-target').textContent = targetLine ?? (alarm ? `${t(`sev.${alarm.severity}`)} · ${targetText(alarm)} · ${messageOf(alarm)}` : '');
  $('alarm-dialog-text').value = '';
  $('alarm-dialog-text-label').textContent = t(kind === 'ack' || kind === 'ackMany' ? 'alarms.comment' : 'alarms.reason');
  $('alarm-dialog-text').required = kind === 'shelve' || kind === 'mute';
  const needsMinutes = kind === 'shelve' || kind === 'mute';
  $('alarm-dialog-minutes-row').hidden = !needsMinutes;
  $('alarm-dialog-minutes').max = kind === 'mute' ? MAX_MUTE_MINUTES : 24 * 60;
  $('alarm-dialog-minutes').value = kind === 'mute' ? 10 : 60;
  $('alarm-dialog-text-row').hidden = kind === 'unshelve' || kind === 'unmute';
  $('alarm-dialog-error').textContent = '';
  return new Promise((resolve) => {
    const form = $('alarm-dialog-form');
    const done = (value) => {
      form.onsubmit = null;
      $('alarm-dialog-cancel').onclick = null;
      dialog.close();
      resolve(value);
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      const text = $('alarm-dialog-text').value.trim();
      if ($('alarm-dialog-text').required && !text) {
        $('alarm-dialog-error').textContent = t('alarms.needReason');
        return;
      }
      done({ text, minutes: Number($('alarm-dialog-minutes').value) });
    };
    $('alarm-dialog-cancel').onclick = () => done(null);
    dialog.showModal();
    if (!$('alarm-dialog-text-row').hidden) $('alarm-dialog-text').focus();
  });
}

async function askAndRun(kind, alarm) {
  const answer = await ask(kind, alarm);
  if (!answer) return;
  try {
    if (kind === 'ack') {
      const a = await api(`/api/alarms/${alarm.id}/ack`, { method: 'POST', body: { comment: answer.text || null } });
      if (a) apply({ kind: 'acknowledged', alarm: a });
    } else if (kind === 'shelve') {
      const a = await api(`/api/alarms/${alarm.id}/shelve`, { method: 'POST', body: { minutes: answer.minutes, reason: answer.text } });
      if (a) apply({ kind: 'updated', alarm: a });
    } else if (kind === 'unshelve') {
      const a = await api(`/api/alarms/${alarm.id}/unshelve`, { method: 'POST', body: {} });
      if (a) apply({ kind: 'updated', alarm: a });
    } else if (kind === 'mute') {
      state.mute = (await api('/api/alarms/mute', { method: 'POST', body: { reason: answer.text, minutes: answer.minutes } })) ?? state.mute;
      render();
    } else if (kind === 'unmute') {
      state.mute = (await api('/api/alarms/mute', { method: 'DELETE' })) ?? { muted: false };
      render();
    }
  } catch (error) {
    console.warn(kind, error);
    showError(`${t('alarms.failed')}: ${error.message}`);
  }
}

/** Acknowledges many alarms with one comment (POST /api/alarms/ack, in chunks of the server's bound, 100). */
async function ackMany(alarms) {
  if (alarms.length === 0) return;
  const answer = await ask('ackMany', null, t('alarms.ackManyTarget').replace('{n}', alarms.length));
  if (!answer) return;
  const ids = alarms.map((a) => a.id);
  let failed = 0;
  try {
    for (let i = 0; i < ids.length; i += BULK_CHUNK) {
      const result = await api('/api/alarms/ack', { method: 'POST', body: { ids: ids.slice(i, i + BULK_CHUNK), comment: answer.text || null } });
      for (const r of result?.results ?? []) {
        if (r.alarm) apply({ kind: r.ok ? 'acknowledged' : 'updated', alarm: r.alarm });
        if (!r.ok) failed++;
      }
    }
    state.view?.clearSelection();
    if (failed > 0) showError(t('alarms.ackManyFailed').replace('{n}', failed));
  } catch (error) {
    console.warn('ackMany', error);
    showError(`${t('alarms.failed')}: ${error.message}`);
  }
}

function showError(text) {
  const el = $('alarm-error');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (el.hidden = true), 6000);
}

// ---------- wiring ----------

function fillFilters(rooms) {
  const filter = state.view.view.filter;
  const severity = $('alarm-filter-severity');
  severity.replaceChildren(new Option(t('alarms.allSeverities'), ''), ...SEVERITIES.map((s) => new Option(t(`sev.${s}`), s)));
  severity.value = filter.severity;
  const room = $('alarm-filter-room');
  room.replaceChildren(new Option(t('alarms.allRooms'), ''), ...rooms.map((r) => new Option(lang() === 'en' && r.nameEn ? r.nameEn : r.name, r.id)));
  room.value = filter.room;
  const st = $('alarm-filter-state');
  st.replaceChildren(new Option(t('alarms.allStates'), ''),
    ...['raised', 'acknowledged', 'cleared', 'silent'].map((s) => new Option(t(s === 'silent' ? 'alarms.state.silent' : `alarms.state.${s}`), s)));
  st.value = filter.state;
}

function setPanelOpen(open) {
  state.panelOpen = open;
  $('alarm-panel').hidden = !open;
  $('alarm-toggle').classList.toggle('active', open);
  state.view.setOpen(open);
  if (open) $('alarm-table-wrap').focus({ preventScroll: true });
}

function setDocked(docked) {
  state.docked = docked;
  $('alarm-panel').classList.toggle('docked', docked);
}

/**
 * Starts the alarm console. ctx: { scene, roomId, rooms: [{ id, name, nameEn }], deviceName(id), portName(deviceId, index),
 * where(deviceId) (rack and U in words, optional), locate(deviceId, port) }.
 */
export function initAlarms(ctx) {
  Object.assign(state, {
    scene: ctx.scene, roomId: ctx.roomId, deviceName: ctx.deviceName, portName: ctx.portName, locate: ctx.locate,
    where: ctx.where ?? (() => ''),
  });
  state.player = createPlayer(() => renderMute());
  state.view = createAlarmView({
    alarms: () => state.alarms,
    incidents: () => state.incidents,
    isSilent, isAlerting, messageOf, severityChip, stateText, timeText, can, askAndRun, ackMany,
    deviceName: (id) => state.deviceName(id),
    portName: (d, p) => state.portName(d, p),
    where: (id) => state.where(id) ?? '',
    locate: (a) => {
      // the 3D room must be seen: the full view docks to the bottom
      setDocked(true);
      state.locate(a.target.deviceId, a.target.port ?? null);
    },
    loadDetail: (id) => api(`/api/alarms/${id}`),
  });
  const rooms = ctx.rooms ?? [];
  fillFilters(rooms);
  onLanguageChange(() => {
    fillFilters(rooms);
    render();
  });
  $('alarm-toggle').addEventListener('click', () => setPanelOpen(!state.panelOpen));
  $('alarm-panel-close').addEventListener('click', () => setPanelOpen(false));
  $('alarm-panel-dock').addEventListener('click', () => setDocked(!state.docked));
  for (const [id, key] of [['alarm-filter-severity', 'severity'], ['alarm-filter-room', 'room'], ['alarm-filter-state', 'state']]) {
    $(id).addEventListener('change', (e) => state.view.setFilter(key, e.target.value));
  }
  $('alarm-search').addEventListener('input', (e) => state.view.setFilter('search', e.target.value));
  $('alarm-ack-selected').addEventListener('click', () =>
    ackMany([...state.view.view.selected].map((id) => state.alarms.get(id)).filter((a) => a && !a.acknowledgement && a.state !== 'closed')));
  $('alarm-ack-shown').addEventListener('click', () => ackMany(state.view.view.shown.filter((a) => !a.acknowledgement && a.state !== 'closed')));
  $('alarm-banner').addEventListener('click', (e) => {
    const worst = worstUnacknowledged();
    if (!worst) return;
    if (e.target.closest('[data-action="ack"]')) askAndRun('ack', worst);
    else state.locate(worst.target.deviceId, worst.target.port ?? null);
  });
  $('alarm-mute').addEventListener('click', () => askAndRun(isMuted() ? 'unmute' : 'mute', null));
  $('alarm-sound').addEventListener('click', enableSound);
  watchBannerHeight();
  // a mute that runs out ends here too, without waiting for a message
  setInterval(() => {
    if (state.mute.muted && !isMuted()) {
      state.mute = { muted: false };
      render();
    }
  }, 1000);
  render();
}

/** Registers the hub's alarm and incident messages; call before the connection starts. */
export function attachAlarmHub(hub) {
  state.hub = hub;
  hub.on('alarm', apply);
  hub.on('incident', applyIncident);
  // the server dropped messages this console was too slow to read (alarm events among them): read the list again
  hub.on('resync', () => loadAlarms(hub));
  hub.on('mute', (mute) => {
    state.mute = mute ?? { muted: false };
    render();
  });
}

const loadedListeners = [];

/** The console's alarms (id -> alarm) and open incidents (id -> incident, null without /api/incidents), kept by this module. */
export const alarmState = () => ({ ready: state.ready, alarms: state.alarms, incidents: state.incidents, incidentsAvailable: state.incidentsAvailable });

/** Calls fn after every full load of the list (first connection, every reconnect, every resync). */
export function onAlarmsLoaded(fn) {
  loadedListeners.push(fn);
}

/** After (re)connecting: replaces the list with the server's (events may have been missed meanwhile). */
export async function loadAlarms(hub) {
  try {
    const snapshot = await hub.invoke('GetAlarms');
    state.alarms = new Map(snapshot.alarms.map((a) => [a.id, a]));
    state.mute = snapshot.mute ?? { muted: false };
    state.ready = true;
    alarmsHooks.ready = true;
    render();
  } catch (error) {
    console.warn('GetAlarms', error);
  }
  await loadIncidents();
  for (const fn of loadedListeners) fn();
}
