// Wall-screen mode of the console (/?wall=1, or "Wall screen" in the header): no chrome, large counters (active alarms
// by severity, devices down, open incidents), the open incidents, and a camera that tours the rows with alarms (the
// whole room, slowly orbiting, when none has). A wall screen is never touched: it keeps its live connection forever
// (app.js retries without end), shows a large "reconnecting" state while the server is away, and reads everything
// again once it is back (through alarms.js, which keeps the console's alarms and incidents and reloads them). A server
// without incidents (404) shows the counters and the tour without the list.
//
// Test hooks (only with the test flag): window.__wall = {
//   active: boolean, hubState(): string, reconnectingShown(): boolean, loads(): number (full reads after (re)connecting),
//   lastLoadAt(): number (ms), counts(): { critical, major, minor, warning, down, incidents },
//   incidents(): [{ id, title, severity }], incidentsAvailable(): boolean|null, alarmRows(): string[] (rows toured), tourRow(): string|null,
//   hasAlarm(deviceId, port?): boolean (an active alarm the wall counts) }
import { flyToRow, setAutoRotate } from './scene.js';
import { t, lang, addText, onLanguageChange } from './i18n.js';
import { el, SEVERITIES, severityRank } from './toolkit.js';
import { expose } from './testhooks.js';
import { alarmState, onAlarmsLoaded } from './alarms.js';

// phonewall strings
addText({
  zh: {
    'wall.reconnecting': '正在重新连接服务器…', 'wall.since': '断开于 {0}', 'wall.incidents': '进行中的事件', 'wall.noIncidents': '没有进行中的事件',
    'wall.incidentsUnavailable': '此服务器不提供事件列表', 'wall.down': '设备中断', 'wall.incidentCount': '事件', 'wall.exit': '退出大屏',
    'wall.updated': '更新于 {0}', 'wall.touring': '巡视：{0}', 'wall.overview': '全景',
  },
  en: {
    'wall.reconnecting': 'Reconnecting to the server…', 'wall.since': 'lost at {0}', 'wall.incidents': 'Open incidents', 'wall.noIncidents': 'No open incidents',
    'wall.incidentsUnavailable': 'This server has no incident list', 'wall.down': 'Devices down', 'wall.incidentCount': 'Incidents', 'wall.exit': 'Leave wall mode',
    'wall.updated': 'Updated {0}', 'wall.touring': 'Touring: {0}', 'wall.overview': 'Overview',
  },
});

const TOUR_MS = 15000;
const PAUSE_AFTER_TOUCH_MS = 60000;
const ACTIVE = new Set(['raised', 'acknowledged']);

const wall = {
  ctx: null,
  hubState: 'connecting',
  lostAt: null,
  loads: 0,
  lastLoadAt: 0,
  tourRow: null,
  tourIndex: -1,
  pausedUntil: 0,
};

// the alarms and incidents are the console's (alarms.js keeps them from the hub and reloads them after every reconnect)
const alarms = () => alarmState().alarms.values();
const incidents = () => alarmState().incidents ?? new Map();

const hooks = expose('__wall', {
  active: false,
  hubState: () => wall.hubState,
  reconnectingShown: () => {
    const node = document.getElementById('wall-reconnecting');
    return Boolean(node && !node.hidden && node.getClientRects().length > 0);
  },
  loads: () => wall.loads,
  lastLoadAt: () => wall.lastLoadAt,
  counts: () => counts(),
  incidents: () => [...incidents().values()].map((i) => ({ id: i.id, title: i.title, severity: i.severity })),
  incidentsAvailable: () => alarmState().incidentsAvailable,
  alarmRows: () => alarmRows(),
  hasAlarm: (deviceId, port = null) => [...alarms()].some((a) => isActive(a) && a.target.deviceId === deviceId && (a.target.port ?? null) === port),
  tourRow: () => wall.tourRow,
});

/** Is wall mode asked for in this URL (?wall=1)? */
export const wallRequested = (params) => ['1', 'true'].includes(params.get('wall') ?? '');

/** The URL that switches this page to (or out of) wall mode. */
export function wallUrl(on) {
  const url = new URL(location.href);
  if (on) url.searchParams.set('wall', '1');
  else url.searchParams.delete('wall');
  return url.toString();
}

const isActive = (a) => ACTIVE.has(a.state) && !a.shelving && !a.inMaintenance && a.suppressedBy == null;

function counts() {
  const result = { critical: 0, major: 0, minor: 0, warning: 0, down: 0, incidents: incidents().size };
  for (const a of alarms()) if (isActive(a) && a.severity in result) result[a.severity]++;
  result.down = wall.ctx?.scene?.statusCounts().down ?? 0;
  return result;
}

/** Rows of this room holding an active alarm (or a device that is down), worst first. */
function alarmRows() {
  const ctx = wall.ctx;
  if (!ctx) return [];
  const worst = new Map(); // row -> rank
  const mark = (deviceId, rank) => {
    const device = ctx.deviceById.get(deviceId);
    const rack = device?.rack ? ctx.rackById.get(device.rack) : null;
    if (!rack?.row) return;
    worst.set(rack.row, Math.max(worst.get(rack.row) ?? 0, rank));
  };
  for (const a of alarms()) {
    if (isActive(a) && (!a.target.roomId || a.target.roomId === ctx.room.id)) mark(a.target.deviceId, severityRank(a.severity) + 1);
  }
  for (const d of ctx.room.devices) if (ctx.scene.deviceStatusOf(d.id) === 'down') mark(d.id, 1);
  return [...worst.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([row]) => row);
}

function rowName(rowId) {
  const row = wall.ctx.room.rows?.find((r) => r.id === rowId);
  return (lang() === 'en' ? row?.nameEn : row?.name) ?? row?.name ?? rowId;
}

/** One step of the tour: the next row with alarms, or the whole room slowly turning when none has. */
function tour() {
  const scene = wall.ctx.scene;
  if (Date.now() < wall.pausedUntil) return;
  const rows = alarmRows();
  if (rows.length === 0) {
    if (wall.tourRow !== null || wall.tourIndex === -1) {
      scene.home(true);
      wall.tourIndex = 0;
    }
    wall.tourRow = null;
    setAutoRotate(scene, true, 0.4);
  } else {
    setAutoRotate(scene, false);
    wall.tourIndex = (wall.tourIndex + 1) % rows.length;
    wall.tourRow = rows[wall.tourIndex];
    flyToRow(scene, wall.tourRow);
  }
  renderTour();
}

function renderTour() {
  const node = document.getElementById('wall-tour');
  if (node) node.textContent = wall.tourRow ? t('wall.touring').replace('{0}', rowName(wall.tourRow)) : t('wall.overview');
}

function time(ms) {
  return new Date(ms).toLocaleTimeString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

function render() {
  const c = counts();
  const tiles = [
    ...SEVERITIES.map((s) => ['severity', s, t(`sev.${s}`), c[s]]),
    ['down', 'down', t('wall.down'), c.down],
    ['incidents', 'incidents', t('wall.incidentCount'), alarmState().incidentsAvailable === false ? '—' : c.incidents],
  ];
  document.getElementById('wall-counters').replaceChildren(...tiles.map(([kind, key, label, value]) =>
    el('div', { class: `wall-counter ${kind} ${key}${Number(value) > 0 ? ' lit' : ''}`, 'data-counter': key },
      el('div', { class: 'n' }, String(value)), el('div', { class: 'l' }, label))));
  const list = document.getElementById('wall-incidents');
  const title = el('h2', {}, t('wall.incidents'));
  if (alarmState().incidentsAvailable === false) {
    list.replaceChildren(title, el('div', { class: 'wall-muted', id: 'wall-incidents-unavailable' }, t('wall.incidentsUnavailable')));
  } else {
    const open = [...incidents().values()].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || String(b.start).localeCompare(String(a.start)));
    list.replaceChildren(title, ...(open.length === 0 ? [el('div', { class: 'wall-muted' }, t('wall.noIncidents'))]
      : open.slice(0, 12).map((i) => el('div', { class: `wall-incident sev-${i.severity}`, 'data-incident': String(i.id) },
        el('span', { class: 'sev-dot' }), el('span', { class: 'title' }, (lang() === 'en' ? i.titleEn ?? i.title : i.title) ?? `#${i.id}`),
        el('span', { class: 'meta' }, `${(i.alarmIds ?? []).length} · ${i.start ? time(Date.parse(i.start)) : ''}`)))));
  }
  document.getElementById('wall-updated').textContent = wall.lastLoadAt ? t('wall.updated').replace('{0}', time(wall.lastLoadAt)) : '';
  const reconnecting = document.getElementById('wall-reconnecting');
  reconnecting.hidden = wall.hubState === 'connected';
  document.getElementById('wall-reconnecting-since').textContent = wall.lostAt ? t('wall.since').replace('{0}', time(wall.lostAt)) : '';
  renderTour();
}

let queued = false;
function queueRender() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    render();
  });
}

/** The console read everything again (first connection, every reconnect, every resync: messages may have been missed). */
function loaded() {
  wall.loads++;
  wall.lastLoadAt = Date.now();
  queueRender();
}

function onHubState(next) {
  const previous = wall.hubState;
  wall.hubState = next;
  if (next !== 'connected' && previous === 'connected') wall.lostAt = Date.now();
  if (next === 'connected' && previous !== 'connected') {
    wall.lostAt = null; // alarms.js reads the alarms and incidents again and then calls loaded()
  }
  queueRender();
}

function buildDom() {
  const exit = el('a', { class: 'wall-exit', id: 'wall-exit', href: wallUrl(false) }, t('wall.exit'));
  document.querySelector('main.stage').append(
    el('section', { class: 'wall-hud', id: 'wall-hud', 'aria-live': 'polite' },
      el('div', { class: 'wall-head' }, el('div', { class: 'wall-room', id: 'wall-room' }), el('div', { class: 'wall-tour', id: 'wall-tour' }),
        el('div', { class: 'wall-updated', id: 'wall-updated' }), exit),
      el('div', { class: 'wall-counters', id: 'wall-counters' }),
      el('div', { class: 'wall-incidents', id: 'wall-incidents' })),
    el('div', { class: 'wall-reconnecting', id: 'wall-reconnecting', role: 'status' },
      el('div', { class: 'spinner', 'aria-hidden': 'true' }), el('div', { class: 'big', id: 'wall-reconnecting-text' }, t('wall.reconnecting')),
      el('div', { class: 'small', id: 'wall-reconnecting-since' })));
}

function renderLanguage() {
  const room = wall.ctx.room;
  document.getElementById('wall-room').textContent = (lang() === 'en' ? room.nameEn : room.name) ?? room.name ?? room.id;
  document.getElementById('wall-reconnecting-text').textContent = t('wall.reconnecting');
  document.getElementById('wall-exit').textContent = t('wall.exit');
  render();
}

/**
 * Turns the console into a wall screen. ctx: { scene, room, hub (the console's HubConnection, before it starts),
 * onHubState(fn) (called with 'connecting'|'connected'|'reconnecting'|'disconnected' on every change) }.
 */
export function initWall(ctx) {
  wall.ctx = {
    ...ctx,
    deviceById: new Map(ctx.room.devices.map((d) => [d.id, d])),
    rackById: new Map(ctx.room.racks.map((r) => [r.id, r])),
  };
  document.body.classList.add('wall');
  ctx.scene.resize(); // the room now has the whole screen
  hooks.active = true;
  buildDom();
  renderLanguage();
  onLanguageChange(renderLanguage);
  ctx.hub.on('alarm', queueRender); // alarms.js has applied it to the console's list
  ctx.hub.on('incident', queueRender);
  ctx.hub.on('changes', queueRender); // devices down
  ctx.onHubState(onHubState);
  onAlarmsLoaded(loaded);
  if (alarmState().ready) loaded();
  // someone at the screen turns the room: the tour waits a minute
  ctx.scene.renderer.domElement.addEventListener('pointerdown', () => {
    wall.pausedUntil = Date.now() + PAUSE_AFTER_TOUCH_MS;
    setAutoRotate(ctx.scene, false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') location.href = wallUrl(false);
  });
  tour();
  setInterval(tour, TOUR_MS);
  setInterval(queueRender, 30000); // the "updated" clock and the incidents' ages
}
