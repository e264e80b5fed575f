// The browser console: loads a room from the REST API, draws it (scene.js), keeps it live from the SignalR hub,
// and offers search, a details panel with live values, a legend, a status bar and zh-CN / English.
//
// Test hooks (read by tests/Monitoring.Browser.Tests and handy in the devtools console):
//   window.__room = {
//     ready: boolean                      true once the room is drawn and the first frame rendered
//     roomId: string                      the room shown
//     rackCount(), deviceCount(), portCount()   instances the scene draws (racks, device bodies, port sockets)
//     drawCalls(): number                 WebGL draw calls of the last frame (renderer.info.render.calls)
//     deviceColor(id): '#rrggbb'|null     colour of the device's status light as drawn
//     portColor(deviceId, index): '#rrggbb'|null   colour of the port's socket as drawn
//     deviceStatus(id), portStatus(deviceId, index)   the status the scene currently shows
//     statusColors: { ok: '#22c55e', ... }            the legend's colours (what deviceColor/portColor return)
//     selectedDeviceId(): string|null     device shown in the side panel / highlighted
//     selectedPort(): number|null         port index selected in the panel, if any
//     highlightedDeviceId(): string|null  device the scene outlines and pulses
//     findScreenPosition(id): {x, y, visible}|null    page coordinates of a device's front panel or a rack's face
//     deviceBounds(id): {min, max}|null   world-space box of a device's body as drawn ([x, y, z] in metres)
//     cameraIdle(): boolean               false while the camera is flying somewhere
//     pickAt(x, y): {type, deviceId?, index?, rackId?}|null   what a click at these page coordinates would hit
//     hubState(): 'connecting'|'connected'|'reconnecting'|'disconnected'
//     subscribedDeviceId(): string|null   the device whose values the hub sends this console (the open panel's)
//     resyncs(): number                   `resync` messages received (the server dropped messages this console was too slow for)
//     changesReceived(): number           `changes` messages applied since load
//     lang(): 'zh'|'en'
//     chartPointCount(): number           points drawn on the side panel's trend chart (history + live), all series
//     chartSeries(): string[]             metrics on the trend chart, e.g. ['cpu.usage', 'memory.usage']
//     trendRange(): '1h'|'24h'|'7d'       the trend chart's range
//     trendLoaded(): boolean              the history of the chart's series has been loaded from /api/series
//     portDetail(): { deviceId, port, labels: string[], labelsVisible, outlineVisible, peer: {device, port}|null,
//                     linkVisible, linkPoints: [[x, y, z]] }   the selected device's port close-up in 3D
//     portScreenPosition(deviceId, index): {x, y, visible}|null   page coordinates of a port's centre
//     screenOf([x, y, z]): {x, y, visible}   page coordinates of a world point (e.g. one of linkPoints)
//     linkColor, portOutlineColor: '#rrggbb'  colours of the selected port's cable and outline
//   }
import { RoomScene, STATUS_COLORS, LINK_COLOR, PORT_OUTLINE_COLOR, portShortLabel } from './scene.js';
import { t, lang, setLanguage, onLanguageChange, applyTo, addText } from './i18n.js';
import { initAlarms, attachAlarmHub, loadAlarms } from './alarms.js';
import { initTicketConsole, attachTicketHub } from './tickets.js';
import { api, can, requireSession, wireUserBox, renderUserBox, checkStillSignedIn } from './session.js';
import { expose } from './testhooks.js';
import { wireMenu, wireTouchLayout, isSheetLayout, noRoomExplanation } from './phone.js';
import { initWall, wallRequested, wallUrl } from './wall.js';
import { watchLamps } from './lamp.js';
import { initTimeSlider, attachTimeSliderHub, inHistory } from './timeslider.js'; // branch "replay": the time slider
import { initQuizzes, onLocated } from './quiz.js'; // branch "quizzes": locate reporting and locate quizzes in a training session
import { initTrainingBoard } from './training-board.js'; // branch "quizzes": the instructor's live board
import { initTrainingDrill } from './training-drill.js';
import { initHeatMap } from './heatmap.js'; // branch "notices": the temperature heat map
import { showTrainingFrame } from './training-frame.js'; // branch "sessions"
import { initTrainingSessions } from './training-sessions.js'; // branch "sessions"

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const state = {
  room: null,
  scene: null,
  hub: null,
  subscribed: null, // the device whose values the hub sends this console (the open panel)
  resyncs: 0,
  hubState: 'connecting',
  lastUpdate: null,
  changes: 0,
  selected: null, // { deviceId, port }
  detail: null,
  history: new Map(), // value key -> [[time, value]]
  chartKey: null,
  chart: null,
  trend: new Map(), // value key -> [[time, avg]] loaded from /api/series
  trendRange: '1h',
  trendSignature: null, // what state.trend holds: device | keys | range
  trendLoadedAt: 0,
  trendGeneration: 0,
  chartPoints: 0,
  chartMetrics: [],
  deviceById: new Map(),
  modelById: new Map(),
};

const roomHooks = expose('__room', {
  ready: false,
  roomId: null,
  rackCount: () => state.scene?.rackMesh?.count ?? 0,
  deviceCount: () => state.scene?.deviceMesh?.count ?? 0,
  portCount: () => state.scene?.portMesh?.count ?? 0,
  drawCalls: () => state.scene?.drawCalls() ?? 0,
  deviceColor: (id) => state.scene?.deviceColor(id) ?? null,
  portColor: (deviceId, index) => state.scene?.portColor(deviceId, Number(index)) ?? null,
  deviceStatus: (id) => state.scene?.deviceStatusOf(id) ?? null,
  portStatus: (deviceId, index) => state.scene?.portStatusOf(deviceId, Number(index)) ?? null,
  statusColors: { ...STATUS_COLORS },
  selectedDeviceId: () => state.selected?.deviceId ?? null,
  selectedPort: () => state.selected?.port ?? null,
  highlightedDeviceId: () => (state.scene && state.scene.highlighted >= 0 ? state.scene.devices[state.scene.highlighted].id : null),
  findScreenPosition: (id) => state.scene?.screenPosition(id) ?? null,
  deviceBounds: (id) => state.scene?.deviceBounds(id) ?? null,
  cameraIdle: () => !state.scene?.flight,
  pickAt: (x, y) => state.scene?.pick(x, y) ?? null,
  hubState: () => state.hubState,
  subscribedDeviceId: () => state.subscribed ?? null,
  resyncs: () => state.resyncs,
  changesReceived: () => state.changes,
  lang: () => lang(),
  chartPointCount: () => (state.chart ? state.chartPoints : 0),
  chartSeries: () => (state.chart ? [...state.chartMetrics] : []),
  trendRange: () => state.trendRange,
  trendLoaded: () => state.trendSignature != null && state.trendSignature === trendSignature(),
  alarmState: (deviceId, port = null) => state.scene?.alarmStateOf(deviceId, port == null ? null : Number(port)) ?? null,
  beacon: (id) => state.scene?.beaconOf(id) ?? null,
  alarmCounts: () => state.scene?.alarmCounts() ?? { blinking: 0, steady: 0, beacons: 0 },
  lampState: (id) => state.scene?.lampState(id) ?? null, // branch "language": the 3D lamp's coils and drawn colour
  portDetail: () => state.scene?.portDetailState() ?? null,
  portScreenPosition: (deviceId, index) => state.scene?.portScreenPosition(deviceId, Number(index)) ?? null,
  screenOf: (point) => state.scene?.screenOf(point) ?? null,
  linkColor: LINK_COLOR,
  portOutlineColor: PORT_OUTLINE_COLOR,
});

// ---------- room3d: locating down to the port (strings, location in words, far ends) ----------

addText({
  zh: {
    'status.adminDown': '管理关闭', 'legend.ports': '端口',
    'port.cabling': '布线',
    'port.farEnd': '对端', 'port.description': '端口描述', 'port.noLink': '未登记对端线缆', 'port.show': '查看对端',
    'loc.rack': '{rack} 机柜 · U{u}', 'loc.row': '{row}', 'loc.near': '{rack} 机柜{dir}侧约 {m} 米',
    'loc.dir.east': '东', 'loc.dir.west': '西', 'loc.dir.north': '北', 'loc.dir.south': '南',
    'loc.wall': '距{wall}墙 {m} 米', 'loc.wall.east': '东', 'loc.wall.west': '西', 'loc.wall.north': '北', 'loc.wall.south': '南',
  },
  en: {
    'status.adminDown': 'Admin down', 'legend.ports': 'ports',
    'port.cabling': 'Cabling',
    'port.farEnd': 'Far end', 'port.description': 'Description', 'port.noLink': 'No cable recorded', 'port.show': 'Show far end',
    'loc.rack': 'rack {rack} · U{u}', 'loc.row': '{row}', 'loc.near': '{m} m {dir} of rack {rack}',
    'loc.dir.east': 'east', 'loc.dir.west': 'west', 'loc.dir.north': 'north', 'loc.dir.south': 'south',
    'loc.wall': '{m} m from the {wall} wall', 'loc.wall.east': 'east', 'loc.wall.west': 'west', 'loc.wall.north': 'north', 'loc.wall.south': 'south',
  },
});

const fill = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

/** The legend's line for ports shut down on purpose: a port state of its own, counted in ports. */
function adminDownLegendItem() {
  const n = state.scene?.adminDownPortCount() ?? 0;
  return el('li', { 'data-status': 'adminDown' }, swatch('adminDown'), el('span', {}, t('status.adminDown')), el('span', { class: 'count' }, `${n} ${t('legend.ports')}`));
}

/** A rack's display name (A02, not a02). */
function rackName(rackId) {
  return state.room?.racks.find((r) => r.id === rackId)?.name ?? rackId;
}

/**
 * Where a device not in a rack stands, in words: the nearest rack and its row, which side of it and how far, and the
 * nearest wall, e.g. "2.4 m east of rack C06 · C列 服务器列 · 1.1 m from the east wall".
 */
function floorLocationWords(device) {
  const racks = state.room?.racks ?? [];
  const parts = [];
  if (racks.length) {
    const nearest = racks.reduce((a, b) => (Math.hypot(b.x - device.x, b.z - device.z) < Math.hypot(a.x - device.x, a.z - device.z) ? b : a));
    const dx = device.x - nearest.x;
    const dz = device.z - nearest.z;
    const dir = Math.abs(dx) >= Math.abs(dz) ? (dx >= 0 ? 'east' : 'west') : dz >= 0 ? 'south' : 'north';
    parts.push(fill('loc.near', { m: Math.hypot(dx, dz).toFixed(1), dir: t(`loc.dir.${dir}`), rack: nearest.name }));
    const row = state.room.rows.find((r) => r.id === nearest.row);
    if (row) parts.push(fill('loc.row', { row: row.name }));
  }
  const { width, depth } = state.room?.size ?? { width: 0, depth: 0 };
  const walls = [['west', device.x], ['east', width - device.x], ['north', device.z], ['south', depth - device.z]];
  const [wall, m] = walls.reduce((a, b) => (b[1] < a[1] ? b : a));
  parts.push(fill('loc.wall', { m: Math.max(0, m).toFixed(1), wall: t(`loc.wall.${wall}`) }));
  return parts.join(' · ');
}

/** The selected port's description and far end (the room file's links), with a link to select the far end. */
function portLinkRows(device, portIndex) {
  const rows = [];
  const port = state.detail?.ports?.find((p) => p.index === portIndex);
  if (port?.description) rows.push(el('div', { class: 'port-description' }, `${t('port.description')}: ${port.description}`));
  // a patch panel's cabling tag says where its ports run to ("至 B列 水平配线")
  const cabling = state.detail?.tags?.cabling;
  if (cabling) rows.push(el('div', { class: 'port-cabling' }, `${t('port.cabling')}: ${cabling}`));
  const peer = state.scene.peerOf(device.id, portIndex);
  if (!peer) {
    rows.push(el('div', { class: 'muted port-far-end', 'data-peer': '' }, `${t('port.farEnd')}: ${t('port.noLink')}`));
    return rows;
  }
  const peerDevice = state.deviceById.get(peer.device);
  const peerModel = state.modelById.get(peerDevice?.model);
  const peerPort = peerModel?.ports.find((p) => p.index === peer.port);
  const where = peerDevice?.rack ? ` (${rackName(peerDevice.rack)} U${peerDevice.u})` : '';
  const go = el('button', { type: 'button', class: 'port-far-end-go' }, t('port.show'));
  go.addEventListener('click', () => selectDevice(peer.device, { fly: true, port: peer.port }));
  rows.push(el('div', { class: 'port-far-end', 'data-peer': `${peer.device}:${peer.port}` },
    `${t('port.farEnd')}: ${peerDevice?.name ?? peer.device} · ${peerPort?.name ?? peer.port}${where} `, go));
  return rows;
}

// ---------- helpers ----------

const getJson = (url) => api(url);

const USER_BOX = { name: 'user-name', role: 'user-role', change: 'user-change-password', signOut: 'user-sign-out', menu: 'user-menu', who: 'user-menu-who' };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function swatch(status) {
  return el('span', { class: 'swatch', style: `background:${STATUS_COLORS[status] ?? STATUS_COLORS.unknown};color:${STATUS_COLORS[status] ?? STATUS_COLORS.unknown}` });
}

function statusBadge(status) {
  return el('span', { class: 'badge', 'data-status': status }, swatch(status), t(`status.${status}`));
}

const roomName = (room) => (lang() === 'en' && room.nameEn ? room.nameEn : room.name);

function formatValue(value, unit, metric) {
  if (value == null || Number.isNaN(value)) return '—';
  if (unit === 'bps' || metric?.endsWith('_bps')) {
    const steps = [['Gbps', 1e9], ['Mbps', 1e6], ['Kbps', 1e3]];
    for (const [name, size] of steps) if (Math.abs(value) >= size) return `${(value / size).toFixed(2)} ${name}`;
    return `${value.toFixed(0)} bps`;
  }
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = Number.isInteger(value) ? String(value) : value.toFixed(digits);
  return unit ? `${text} ${unit}` : text;
}

/** A live value as the reader sees it: a discrete value in the model's words, in the console's language (branch "language"). */
function valueText(v) {
  const words = v.words?.[String(v.value)];
  if (words) return lang() === 'zh' ? words.zh : words.en;
  return formatValue(v.value, v.unit, v.metric);
}

function formatTime(date) {
  if (!date) return t('never');
  return date.toLocaleTimeString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

const valueKey = (port, metric) => `${port ?? ''}|${metric}`;

// ---------- legend and status bar ----------

function renderLegend() {
  const counts = state.scene ? state.scene.statusCounts() : {};
  const list = $('legend-items');
  list.replaceChildren(...['ok', 'warning', 'alarm', 'down', 'unknown'].map((s) =>
    el('li', { 'data-status': s }, swatch(s), el('span', {}, t(`status.${s}`)), el('span', { class: 'count' }, String(counts[s] ?? 0)))), adminDownLegendItem());
  $('counts').replaceChildren(
    el('span', {}, `${t('racks')} ${state.room?.racks.length ?? 0}`),
    el('span', {}, `${t('devices')} ${state.room?.devices.length ?? 0}`),
    ...['ok', 'warning', 'alarm', 'down', 'unknown'].map((s) => el('span', { 'data-status': s }, swatch(s), `${t(`status.${s}`)} ${counts[s] ?? 0}`)),
  );
}

// layout: who hears of every change of the live connection's state (the wall screen), and the body's data-hub attribute
const hubStateListeners = [];
let lastHubState = null;
function announceHubState() {
  if (state.hubState === lastHubState) return;
  lastHubState = state.hubState;
  document.body.dataset.hub = state.hubState;
  for (const fn of hubStateListeners) fn(state.hubState);
}

function renderHubState() {
  announceHubState();
  $('hub-dot').className = `dot ${state.hubState}`;
  $('hub-state').textContent = t(`hub.${state.hubState}`);
  $('last-update').textContent = formatTime(state.lastUpdate);
}

let statusBarQueued = false;
function queueStatusBar() {
  if (statusBarQueued) return;
  statusBarQueued = true;
  requestAnimationFrame(() => {
    statusBarQueued = false;
    renderLegend();
    renderHubState();
  });
}

// ---------- search ----------

let searchHits = [];
let searchActive = 0;

function searchDevices(query) {
  const q = query.trim().toLowerCase();
  if (!q || !state.room) return [];
  const hits = [];
  for (const d of state.room.devices) {
    if ([d.name, d.id, d.address, d.assetTag].some((v) => v && String(v).toLowerCase().includes(q))) {
      hits.push(d);
      if (hits.length >= 20) break;
    }
  }
  // Exact matches of the name, id, address or asset tag first.
  return hits.sort((a, b) => exact(b, q) - exact(a, q));
}

const exact = (d, q) => ([d.name, d.id, d.address, d.assetTag].some((v) => v && String(v).toLowerCase() === q) ? 1 : 0);

function renderSearch() {
  const list = $('search-results');
  const query = $('search').value;
  if (!query.trim()) {
    list.hidden = true;
    return;
  }
  searchHits = searchDevices(query);
  searchActive = Math.min(searchActive, Math.max(0, searchHits.length - 1));
  if (searchHits.length === 0) {
    list.replaceChildren(el('li', { class: 'empty' }, t('noResults')));
  } else {
    list.replaceChildren(...searchHits.map((d, i) => {
      const item = el('li', { class: i === searchActive ? 'active' : '', role: 'option', 'data-device': d.id },
        swatch(state.scene.deviceStatusOf(d.id) ?? 'unknown'),
        el('div', {}, el('div', {}, d.name), el('div', { class: 'sub' }, [d.rack && `${rackName(d.rack)}${d.u ? ` U${d.u}` : ''}`, d.address, d.assetTag].filter(Boolean).join(' · '))),
        el('span', { class: 'sub' }, t(`kind.${d.kind}`)));
      item.addEventListener('mousedown', (e) => {
        e.preventDefault();
        chooseSearchHit(i);
      });
      return item;
    }));
  }
  list.hidden = false;
}

function chooseSearchHit(i) {
  const device = searchHits[i];
  if (!device) return;
  $('search-results').hidden = true;
  $('search').blur();
  selectDevice(device.id, { fly: true });
}

function wireSearch() {
  const input = $('search');
  input.addEventListener('input', () => {
    searchActive = 0;
    renderSearch();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      searchActive = Math.max(0, Math.min(searchHits.length - 1, searchActive + (e.key === 'ArrowDown' ? 1 : -1)));
      renderSearch();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      searchHits = searchDevices(input.value);
      chooseSearchHit(searchActive);
    } else if (e.key === 'Escape') {
      $('search-results').hidden = true;
    }
  });
  input.addEventListener('focus', renderSearch);
  input.addEventListener('blur', () => setTimeout(() => ($('search-results').hidden = true), 150));
}

// ---------- selection and the side panel ----------

async function selectDevice(deviceId, { fly = false, port = null } = {}) {
  const device = state.deviceById.get(deviceId);
  if (!device) return;
  const same = state.selected?.deviceId === deviceId;
  state.selected = { deviceId, port };
  syncSubscription();
  state.scene.setHighlight(deviceId);
  state.scene.setPortSelection(deviceId, port);
  if (fly && !(port != null && state.scene.flyToPort(deviceId, port))) state.scene.flyToDevice(deviceId);
  if (!same) {
    state.history.clear();
    state.chartKey = null;
    state.detail = null;
  }
  renderPanel();
  try {
    const detail = await getJson(`/api/devices/${encodeURIComponent(deviceId)}`);
    if (state.selected?.deviceId !== deviceId) return;
    state.detail = detail;
    for (const v of detail.values ?? []) remember(valueKey(null, v.metric), v);
    for (const p of detail.ports ?? []) for (const v of p.values ?? []) remember(valueKey(p.index, v.metric), v);
    if (!state.chartKey) {
      const first = (port != null ? detail.ports?.find((p) => p.index === port)?.values?.[0] : null) ?? preferredValue(detail.values);
      if (first) state.chartKey = valueKey(port != null && detail.ports?.some((p) => p.index === port) ? port : null, first.metric);
    }
    renderPanel();
  } catch (error) {
    console.warn('device details', error);
  }
}

function remember(key, v) {
  if (typeof v.value !== 'number') return;
  let series = state.history.get(key);
  if (!series) state.history.set(key, (series = []));
  const time = v.timestamp ? Date.parse(v.timestamp) : Date.now();
  if (series.length && series[series.length - 1][0] === time) return;
  series.push([time, v.value]);
  if (series.length > 600) series.splice(0, series.length - 600);
}

function closePanel() {
  state.selected = null;
  syncSubscription();
  state.detail = null;
  state.scene.setHighlight(null);
  state.scene.setPortSelection(null);
  $('panel').hidden = true;
  state.scene.setRightInset(0);
  disposeChart();
}

function disposeChart() {
  if (state.chart) {
    state.chart.dispose();
    state.chart = null;
  }
}

function valueRow(key, v, label) {
  const row = el('tr', { 'data-key': key, class: key === state.chartKey ? 'selected' : '' },
    el('td', {}, swatch(v.status ?? 'unknown')),
    el('td', {}, label),
    el('td', { class: 'v' }, valueText(v)));
  row.addEventListener('click', () => {
    state.chartKey = key;
    renderPanel();
  });
  return row;
}

function metricLabel(v) {
  return (lang() === 'zh' ? v.labelZh || v.label : v.label || v.labelZh) || v.metric;
}

function renderPanel() {
  const panel = $('panel');
  if (!state.selected) {
    if (!panel.hidden) state.scene?.setRightInset(0);
    panel.hidden = true;
    return;
  }
  const device = state.deviceById.get(state.selected.deviceId);
  const model = state.modelById.get(device.model);
  const detail = state.detail;
  const status = state.scene.deviceStatusOf(device.id) ?? detail?.status ?? 'unknown';
  if (panel.hidden) {
    panel.hidden = false;
    state.scene.setRightInset(isSheetLayout() ? 0 : panel.offsetWidth + 12); // a bottom sheet on a phone covers no side
  }
  $('panel-kind').textContent = t(`kind.${device.kind}`);
  $('panel-title').textContent = detail?.name ?? device.name;
  const location = device.rack
    ? `${rackName(device.rack)} · U${device.u}${(model?.heightU ?? 1) > 1 ? `–${device.u + model.heightU - 1}` : ''} · ${t(`face.${device.face ?? 'front'}`)}`
    : floorLocationWords(device);
  const fields = [
    ['field.status', statusBadge(status)],
    ['field.model', `${model?.name ?? device.model}`],
    ['field.vendor', model?.vendor ?? '—'],
    ['field.location', location],
    ['field.address', detail?.address ?? device.address ?? '—'],
    ['field.assetTag', detail?.assetTag ?? device.assetTag ?? '—'],
    ['field.role', detail?.role ?? device.role ?? '—'],
  ];
  if (detail?.profile) fields.push(['field.profile', detail.profile]);
  const body = [el('dl', { class: 'fields' }, ...fields.flatMap(([k, v]) => [el('dt', {}, t(k)), el('dd', {}, v)]))];

  // Ports as a grid of chips, coloured by status; a chip selects the port.
  if (model?.ports.length) {
    body.push(el('h3', {}, `${t('ports')} (${model.ports.length})`));
    const grid = el('div', { class: 'port-grid' });
    for (const p of model.ports) {
      const s = state.scene.portStatusOf(device.id, p.index) ?? 'unknown';
      const chip = el('div', { class: `port-chip${state.selected.port === p.index ? ' selected' : ''}`, title: `${p.name} · ${t(`status.${s}`)}`, 'data-port': String(p.index), style: `background:${STATUS_COLORS[s]}` }, portShortLabel(p));
      chip.addEventListener('click', () => {
        state.selected.port = p.index;
        state.scene.setPortSelection(device.id, p.index);
        const first = detail?.ports?.find((x) => x.index === p.index)?.values?.[0];
        if (first) state.chartKey = valueKey(p.index, first.metric);
        renderPanel();
      });
      grid.append(chip);
    }
    body.push(grid);
  }

  body.push(el('h3', {}, t('values')));
  if (!detail) {
    body.push(el('div', { class: 'muted' }, '…'));
  } else {
    const rows = (detail.values ?? []).map((v) => valueRow(valueKey(null, v.metric), v, metricLabel(v)));
    body.push(rows.length ? el('table', { class: 'values', id: 'device-values' }, el('tbody', {}, ...rows)) : el('div', { class: 'muted' }, t('noValues')));
    const port = state.selected.port != null ? detail.ports?.find((p) => p.index === state.selected.port) : null;
    if (port) {
      body.push(el('h3', {}, `${t('portValues')} · ${port.name}`), el('div', {}, statusBadge(state.scene.portStatusOf(device.id, port.index) ?? port.status)), ...portLinkRows(device, port.index));
      const portRows = (port.values ?? []).map((v) => valueRow(valueKey(port.index, v.metric), v, metricLabel(v)));
      body.push(portRows.length ? el('table', { class: 'values', id: 'port-values' }, el('tbody', {}, ...portRows)) : el('div', { class: 'muted' }, t('noValues')));
    }
    if (state.chartKey) body.push(el('h3', {}, t('trend')), trendRangeButtons(), el('div', { class: 'chart', id: 'trend' }));
  }
  disposeChart();
  $('panel-body').replaceChildren(...body);
  if (detail && state.chartKey) drawChart();
}

// ---------- the trend chart: history from /api/series, live values appended at the right edge ----------

// Metrics charted together; a row of the panel selects its group. The first present of TREND_FIRST is the default.
const TREND_GROUPS = [
  ['cpu.usage', 'memory.usage'],
  ['ups.load', 'ups.battery'],
  ['environment.temperature', 'environment.humidity'],
  ['interface.in_bps', 'interface.out_bps'],
  ['interface.in_errors'],
];
const TREND_FIRST = ['cpu.usage', 'memory.usage', 'ups.load', 'ups.battery', 'environment.temperature', 'environment.humidity'];
const TREND_RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const TREND_COLORS = ['#38bdf8', '#f59e0b', '#a78bfa', '#22c55e'];
const TREND_REFRESH_MS = 60e3;

function preferredValue(values) {
  const numeric = (values ?? []).filter((v) => typeof v.value === 'number');
  for (const metric of TREND_FIRST) {
    const hit = numeric.find((v) => v.metric === metric);
    if (hit) return hit;
  }
  return numeric[0];
}

function parseKey(key) {
  const bar = key.indexOf('|');
  return { port: bar > 0 ? Number(key.slice(0, bar)) : null, metric: key.slice(bar + 1) };
}

/** The value keys on the chart: the selected metric and the others of its group that this device (or port) has. */
function chartKeys() {
  if (!state.chartKey) return [];
  const { port, metric } = parseKey(state.chartKey);
  const values = (port == null ? state.detail?.values : state.detail?.ports?.find((p) => p.index === port)?.values) ?? [];
  const group = TREND_GROUPS.find((g) => g.includes(metric)) ?? [metric];
  return group.filter((m) => m === metric || values.some((v) => v.metric === m)).map((m) => valueKey(port, m));
}

function trendSignature() {
  return state.detail && state.chartKey ? `${state.detail.id}#${chartKeys().join(',')}#${state.trendRange}` : null;
}

function trendRangeButtons() {
  const bar = el('div', { class: 'trend-ranges', id: 'trend-ranges' });
  for (const range of Object.keys(TREND_RANGES)) {
    const button = el('button', { type: 'button', class: range === state.trendRange ? 'selected' : '', 'data-range': range }, range);
    button.addEventListener('click', () => {
      if (state.trendRange === range) return;
      state.trendRange = range;
      renderPanel();
    });
    bar.append(button);
  }
  return bar;
}

/** Loads the chart's series from the history API unless what is cached is for the same keys and range and fresh. */
async function loadTrend() {
  const signature = trendSignature();
  if (!signature) return;
  if (signature === state.trendSignature && Date.now() - state.trendLoadedAt < TREND_REFRESH_MS) return;
  const generation = ++state.trendGeneration;
  const deviceId = state.detail.id;
  const to = Date.now();
  const from = to - TREND_RANGES[state.trendRange];
  const loaded = await Promise.all(chartKeys().map(async (key) => {
    const { port, metric } = parseKey(key);
    const query = new URLSearchParams({ device: deviceId, metric, from: String(Math.floor(from)), to: String(Math.ceil(to) + 1) });
    if (port != null) query.set('port', String(port));
    try {
      const answer = await getJson(`/api/series?${query}`);
      const points = answer.points.map((p) => [p.t, p.avg]);
      points.stepMs = (answer.stepSeconds ?? 0) * 1000; // a rollup point covers [t, t + step)
      return [key, points];
    } catch (error) {
      console.warn('history', key, error);
      return [key, []];
    }
  }));
  if (generation !== state.trendGeneration || trendSignature() !== signature) return;
  state.trend = new Map(loaded);
  state.trendSignature = signature;
  state.trendLoadedAt = Date.now();
  updateChart();
}

let echartsModule = null;
async function drawChart() {
  const host = $('trend');
  if (!host) return;
  echartsModule ??= await import('echarts');
  if (!host.isConnected) return;
  disposeChart();
  state.chart = echartsModule.init(host, null, { renderer: 'canvas' });
  updateChart();
  loadTrend();
}

/** History points of a key, then the live values newer than the last of them. */
function chartData(key) {
  const history = state.trendSignature === trendSignature() ? state.trend.get(key) ?? [] : [];
  // live values start where the history ends: after the last raw sample, or after the last rollup bucket
  const lastTime = history.length ? history[history.length - 1][0] + Math.max((history.stepMs ?? 0) - 1, 0) : -Infinity;
  const live = (state.history.get(key) ?? []).filter(([time]) => time > lastTime);
  return history.concat(live);
}

function updateChart() {
  if (!state.chart || !state.chartKey) return;
  const keys = chartKeys();
  const values = (port) => (port == null ? state.detail?.values : state.detail?.ports?.find((p) => p.index === port)?.values) ?? [];
  const units = [];
  const series = keys.map((key, i) => {
    const { port, metric } = parseKey(key);
    const info = values(port).find((v) => v.metric === metric) ?? { metric };
    const unit = info.unit ?? '';
    if (!units.includes(unit)) units.push(unit);
    const data = chartData(key);
    const color = TREND_COLORS[i % TREND_COLORS.length];
    return {
      type: 'line', name: metricLabel(info), data, yAxisIndex: Math.min(units.indexOf(unit), 1), showSymbol: data.length < 3, smooth: true,
      lineStyle: { color, width: 2 }, itemStyle: { color }, areaStyle: keys.length === 1 ? { color: 'rgba(56,189,248,0.15)' } : undefined,
    };
  });
  state.chartPoints = series.reduce((n, s) => n + s.data.length, 0);
  state.chartMetrics = keys.map((key) => parseKey(key).metric);
  const now = Date.now();
  const axisLabel = { color: '#8a9bb0', fontSize: 10 };
  const yAxis = units.slice(0, 2).map((unit, i) => ({
    type: 'value', scale: true, name: unit, nameTextStyle: axisLabel, position: i === 0 ? 'left' : 'right',
    axisLabel, splitLine: { show: i === 0, lineStyle: { color: '#1a2533' } },
  }));
  state.chart.setOption({
    animation: false,
    legend: { show: keys.length > 1, top: 0, textStyle: { color: '#c8d3e0', fontSize: 10 }, itemHeight: 8 },
    tooltip: { trigger: 'axis' },
    grid: { left: 44, right: units.length > 1 ? 44 : 10, top: keys.length > 1 ? 24 : 12, bottom: 40 },
    xAxis: {
      type: 'time', min: now - TREND_RANGES[state.trendRange], max: now, splitNumber: 3,
      axisLabel: { ...axisLabel, hideOverlap: true, formatter: state.trendRange === '1h' ? '{HH}:{mm}' : '{MM}-{dd} {HH}:{mm}' },
      axisLine: { lineStyle: { color: '#233042' } },
    },
    yAxis,
    dataZoom: [{ type: 'inside', filterMode: 'none' }, { type: 'slider', height: 14, bottom: 4, filterMode: 'none', textStyle: axisLabel }],
    series,
    graphic: trendNoData(state.chartPoints === 0),
  }, { replaceMerge: ['series', 'yAxis', 'graphic'] });
}

/** A trend without any point says so in the middle of the chart (instead of empty axes). */
function trendNoData(empty) {
  $('trend')?.setAttribute('data-empty', String(empty));
  return empty ? [{ type: 'text', left: 'center', top: 'middle', style: { text: t('chart.noData'), fill: '#9fb0c4', fontSize: 13 } }] : [];
}

/** Live values for the device in the panel: update the rows in place, without rebuilding the panel. */
function applyValues(values) {
  const detail = state.detail;
  if (!detail || !values?.length) return;
  let chartChanged = false;
  for (const v of values) {
    if (v.device !== detail.id) continue;
    const port = v.port ?? null;
    const list = port == null ? detail.values : detail.ports?.find((p) => p.index === port)?.values;
    if (!list) continue;
    let entry = list.find((x) => x.metric === v.metric);
    if (!entry) {
      entry = { metric: v.metric, label: v.metric, labelZh: v.metric, status: 'unknown' };
      list.push(entry);
    }
    entry.value = v.value;
    entry.timestamp = v.timestamp;
    if (v.status) entry.status = v.status;
    const key = valueKey(port, v.metric);
    remember(key, v);
    if (key === state.chartKey) chartChanged = true;
    const row = document.querySelector(`#panel-body tr[data-key="${CSS.escape(key)}"]`);
    if (row) {
      row.cells[2].textContent = valueText(entry);
      row.classList.remove('flash');
      void row.offsetWidth; // restart the flash animation
      row.classList.add('flash');
    } else if (port == null || port === state.selected?.port) {
      renderPanel();
      return;
    }
  }
  if (chartChanged) updateChart();
}

// ---------- the live hub ----------

function applyChanges(changes) {
  if (!changes || (state.room && changes.room && changes.room !== state.room.id)) return;
  if (inHistory()) return; // branch "replay": the room shows the past; back to live resyncs
  state.scene.applyChanges(changes);
  state.changes++;
  state.lastUpdate = new Date();
  const selected = state.selected?.deviceId;
  if (selected && (changes.devices?.some((d) => d.id === selected) || changes.ports?.some((p) => p.device === selected))) {
    if (state.detail) {
      for (const d of changes.devices ?? []) if (d.id === selected) state.detail.status = d.status;
      for (const p of changes.ports ?? []) {
        if (p.device !== selected) continue;
        const port = state.detail.ports?.find((x) => x.index === p.index);
        if (port) port.status = p.status;
      }
    }
    renderPanel();
  }
  applyValues(changes.values);
  state.heat?.applyValues(changes.values); // branch "notices": the heat map's sensors
  queueStatusBar();
}

// The hub sends a device's values only to consoles that subscribed to it: this console subscribes to the device whose
// panel is open (status changes of the whole room come to every console anyway). Calls are chained so that they
// reach the server in order; after a reconnect the server knows no subscription, so `subscribed` is reset first.
let subscribing = Promise.resolve();
function syncSubscription() {
  subscribing = subscribing.then(async () => {
    const hub = state.hub;
    const want = state.selected?.deviceId ?? null;
    if (!hub || hub.state !== window.signalR?.HubConnectionState.Connected || state.subscribed === want) return;
    const previous = state.subscribed;
    state.subscribed = want;
    try {
      if (previous) await hub.invoke('UnsubscribeDevices', [previous]);
      if (want) await hub.invoke('SubscribeDevices', [want]);
    } catch (error) {
      console.warn('subscribe', error);
      state.subscribed = null;
    }
  });
  return subscribing;
}

/** The server dropped messages this console was too slow to read: read the room and the open panel again. */
async function onResync() {
  state.resyncs++;
  await resync();
  const selected = state.selected;
  if (selected) await selectDevice(selected.deviceId, { port: selected.port });
}

/** Re-reads the room's statuses (after a reconnect, changes may have been missed). */
async function resync() {
  try {
    const room = await getJson(`/api/rooms/${encodeURIComponent(state.room.id)}`);
    const devices = [];
    const ports = [];
    for (const d of room.devices) {
      devices.push({ id: d.id, status: d.status });
      const model = state.modelById.get(d.model);
      d.portStatus?.forEach((s, k) => model?.ports[k] && ports.push({ device: d.id, index: model.ports[k].index, status: s }));
    }
    state.scene.applyChanges({ devices, ports });
    for (const d of room.devices) if (d.lamp) state.scene.setLampState(d.id, d.lamp);
    queueStatusBar();
  } catch (error) {
    console.warn('resync', error);
  }
}

async function connectHub() {
  const signalR = window.signalR;
  if (!signalR) {
    state.hubState = 'disconnected';
    renderHubState();
    return;
  }
  const hub = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/live')
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(10000, 500 * 2 ** ctx.previousRetryCount) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  state.hub = hub;
  hub.on('changes', applyChanges);
  hub.on('resync', onResync);
  attachAlarmHub(hub);
  attachTicketHub(hub);
  attachTimeSliderHub(hub); // branch "replay"
  initQuizzes({ hub }); // branch "quizzes"
  hub.onreconnecting(() => {
    state.hubState = 'reconnecting';
    renderHubState();
  });
  hub.onreconnected(async () => {
    state.hubState = 'connected';
    renderHubState();
    await hub.invoke('JoinRoom', state.room.id).catch((e) => console.warn('JoinRoom', e));
    state.subscribed = null;
    await syncSubscription();
    await state.heat?.resubscribe(); // branch "notices"
    await loadAlarms(hub);
    await resync();
  });
  hub.onclose(async () => {
    state.hubState = 'disconnected';
    renderHubState();
    if (!(await checkStillSignedIn())) return;
    setTimeout(start, 5000);
  });
  async function start() {
    if (hub.state !== signalR.HubConnectionState.Disconnected) return;
    state.hubState = 'connecting';
    renderHubState();
    try {
      await hub.start();
      await hub.invoke('JoinRoom', state.room.id);
      state.subscribed = null;
      await syncSubscription();
      // the room was read before joining: anything that changed in between reached no one, so read it again
      await resync();
      state.hubState = 'connected';
      renderHubState();
      await loadAlarms(hub);
    } catch (error) {
      console.warn('hub', error);
      state.hubState = 'disconnected';
      renderHubState();
      // refused because the session ended (expired, signed out elsewhere): go and sign in instead of retrying
      if (!(await checkStillSignedIn())) return;
      setTimeout(start, 5000);
    }
  }
  await start();
}

// ---------- language ----------

function renderLanguage() {
  for (const b of document.querySelectorAll('.lang')) b.classList.toggle('active', b.dataset.lang === lang());
  if (state.room) {
    $('room-name').textContent = `${roomName(state.room)}${state.room.site ? ` · ${state.room.site}` : ''}`;
    document.title = `${roomName(state.room)} · ${t('title')}`;
    state.scene.setRowLabelText((rowId) => {
      const row = state.room.rows.find((r) => r.id === rowId);
      if (lang() === 'zh') return row?.name ?? rowId;
      return row?.nameEn ?? `Row ${rowId.replace(/^row[-_ ]?/i, '').toUpperCase()}`;
    });
  }
  renderLegend();
  renderHubState();
  renderPanel();
  renderUserBox(USER_BOX);
}

// ---------- start ----------

function wireViewport() {
  const canvas = state.scene.renderer.domElement;
  let down = null;
  canvas.addEventListener('pointerdown', (e) => (down = { x: e.clientX, y: e.clientY }));
  canvas.addEventListener('pointerup', (e) => {
    if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 5 || e.button !== 0) return;
    down = null;
    const hit = state.scene.pick(e.clientX, e.clientY);
    if (!hit) return;
    if (hit.type === 'rack') state.scene.flyToRack(hit.rackId);
    else if (hit.type === 'device') selectDevice(hit.deviceId);
    else if (hit.type === 'port') selectDevice(hit.deviceId, { port: hit.index });
    if (hit.type === 'device' || hit.type === 'port') onLocated(hit.deviceId, hit.type === 'port' ? hit.index : null); // branch "quizzes"
  });
  $('home').addEventListener('click', () => state.scene.home(true));
  $('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.activeElement !== $('search')) closePanel();
  });
  for (const b of document.querySelectorAll('.lang')) b.addEventListener('click', () => setLanguage(b.dataset.lang));
}

async function main() {
  // ?lang=zh|en picks the language for this page without remembering it (kiosk and wall-screen links).
  if (params.get('lang')) setLanguage(params.get('lang'), false);
  applyTo(document);
  onLanguageChange(renderLanguage);
  for (const b of document.querySelectorAll('.lang')) b.classList.toggle('active', b.dataset.lang === lang());
  renderHubState();
  // who is signed in: without a usable session the page leaves for the sign-in page
  let user;
  try {
    user = await requireSession();
  } catch (error) {
    console.error(error);
    $('loading').textContent = `${t('loadFailed')}: ${error.message}`;
    return;
  }
  if (!user) return;
  wireUserBox(USER_BOX);
  wireMenu();
  $('admin-tab').hidden = !can('administer');
  // branch "sessions": the TRAINING frame on a session's host; the Training list on the live host (open for a trainee)
  showTrainingFrame().catch((error) => console.error(error));
  initTrainingSessions({ expanded: user.role === 'trainee' }).catch((error) => console.error(error));
  wireSearch();
  let room;
  try {
    const rooms = await getJson('/api/rooms');
    const wanted = params.get('room');
    const id = rooms.find((r) => r.id === wanted)?.id ?? rooms[0]?.id;
    if (!id) {
      // nothing to show is not an error: say why (a trainee without a training room, a server without rooms)
      $('loading').textContent = noRoomExplanation(user);
      $('loading').classList.add('no-room');
      return;
    }
    room = await getJson(`/api/rooms/${encodeURIComponent(id)}`);
  } catch (error) {
    console.error(error);
    $('loading').textContent = `${t('loadFailed')}: ${error.message}`;
    return;
  }
  state.room = room;
  for (const d of room.devices) state.deviceById.set(d.id, d);
  for (const m of room.models) state.modelById.set(m.id, m);
  state.scene = new RoomScene($('viewport'));
  state.scene.build(room);
  state.lamps = watchLamps({ room, scene: state.scene, getJson }); // branch "language": the 3D lamp from its coils
  state.heat = initHeatMap({ scene: state.scene, room, getJson, hub: () => state.hub }); // branch "notices": the heat map
  wireViewport();
  wireTouchLayout(state.scene);
  renderLanguage();
  initAlarms({
    scene: state.scene,
    roomId: room.id,
    rooms: await getJson('/api/rooms').catch(() => [room]),
    deviceName: (id) => state.deviceById.get(id)?.name ?? id,
    portName: (deviceId, index) => {
      const model = state.modelById.get(state.deviceById.get(deviceId)?.model);
      return model?.ports.find((p) => p.index === Number(index))?.name ?? String(index);
    },
    locate: (deviceId, port) => {
      if (!state.deviceById.has(deviceId)) return;
      selectDevice(deviceId, { fly: true, port });
    },
    where: alarmWhere,
  });
  // branch "replay": the read-only time slider (always open in a replay training session)
  initTimeSlider({
    scene: state.scene,
    room,
    deviceName: (id) => state.deviceById.get(id)?.name ?? id,
    portName: (deviceId, index) => state.modelById.get(state.deviceById.get(deviceId)?.model)?.ports.find((p) => p.index === Number(index))?.name ?? String(index),
    onLeave: () => resync(),
  });
  roomHooks.roomId = room.id;
  // Ready once a frame with the whole room has been drawn.
  const off = state.scene.onFrame(() => {
    off();
    $('loading').hidden = true;
    roomHooks.ready = true;
    document.body.dataset.ready = 'true';
  });
  // ?device=ID opens the console on a device (links from alarms and tickets).
  if (params.get('device')) selectDevice(params.get('device'), { fly: true });
  // Views (room | tickets | dispatch | reports) by URL hash; #device/ID flies the room to a device.
  initTicketConsole({
    room,
    showDevice: (id, port = null) => selectDevice(id, { fly: true, port }),
    selectedDeviceId: () => state.selected?.deviceId ?? null,
  });
  initTrainingBoard(); // branch "quizzes"
  const wallMode = wallRequested(params);
  if ($('wall-toggle')) $('wall-toggle').href = wallUrl(!wallMode);
  connectHub();
  initTrainingDrill(state.hub).catch((e) => console.warn('drill panel', e)); // branch "drillrun": only in a training session
  // /?wall=1: the wall screen (the hub exists now, before it has connected)
  if (wallMode) initWall({ scene: state.scene, room, hub: state.hub, onHubState: (fn) => hubStateListeners.push(fn) && fn(state.hubState) });
}

/** The alarm view's rack/U column: "A02 U12" (the rack's display name), "" for devices not in a rack. */
function alarmWhere(deviceId) {
  const device = state.deviceById.get(deviceId);
  if (!device?.rack) return '';
  const rack = state.room?.racks.find((r) => r.id === device.rack);
  return `${rack?.name ?? device.rack}${device.u ? ` U${device.u}` : ''}`;
}

main();
