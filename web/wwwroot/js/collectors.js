// Remote collector zones (issue 22, branch "collector"): the administration view's "Collectors" tab. Each zone served
// by a remote collector node (monitoring collector) with its state from /healthz (components.collectors.zones): ok,
// late or lost since its last contact, the node's backlog (disk buffer bytes, oldest unsent sample), what it polls and
// drops, and its last gap without contact. Read from /healthz as it is (a degraded server answers 503 with the same body).
import { t, addText } from './i18n.js';
import { el, formatDateTime, formatDuration } from './toolkit.js';

// ---- i18n: branch collector ----
addText({
  zh: {
    'ad.tab.collectors': '采集节点', 'co.zone': '区域', 'co.state': '状态', 'co.lastContact': '最近联系', 'co.age': '距今',
    'co.backlog': '积压', 'co.oldest': '最早未发送', 'co.devices': '设备', 'co.polls': '轮询 / 失败', 'co.dropped': '丢弃采样',
    'co.gap': '最近中断', 'co.version': '版本', 'co.none': '没有远程采集区域（Monitoring:Collectors:RemoteZones，或绑定区域的 collector 令牌）',
    'co.state.ok': '正常', 'co.state.late': '迟到', 'co.state.lost': '失联', 'co.state.unknown': '从未联系',
    'co.gapText': '{0}，{1}（{2}）', 'co.failing': '故障设备：{0}',
    'ad.k.scope.collector': '远程采集节点（绑定一个区域）', 'ad.k.zone': '区域（collector 令牌必填）', 'ad.k.needZone': 'collector 令牌必须填写区域',
  },
  en: {
    'ad.tab.collectors': 'Collectors', 'co.zone': 'Zone', 'co.state': 'State', 'co.lastContact': 'Last contact', 'co.age': 'Ago',
    'co.backlog': 'Backlog', 'co.oldest': 'Oldest unsent', 'co.devices': 'Devices', 'co.polls': 'Polls / failures', 'co.dropped': 'Samples dropped',
    'co.gap': 'Last gap', 'co.version': 'Version', 'co.none': 'No remote collector zone (Monitoring:Collectors:RemoteZones, or a collector token bound to a zone)',
    'co.state.ok': 'ok', 'co.state.late': 'late', 'co.state.lost': 'lost', 'co.state.unknown': 'never reported',
    'co.gapText': '{0}, {1} ({2})', 'co.failing': 'Failing devices: {0}',
    'ad.k.scope.collector': 'Remote collector node (bound to a zone)', 'ad.k.zone': 'Zone (required for a collector token)', 'ad.k.needZone': 'A collector token needs a zone',
  },
});

const fill = (text, ...args) => args.reduce((s, a, i) => s.replaceAll(`{${i}}`, String(a)), text);

/** The zones of /healthz as { name: zone }; an unreadable answer throws. */
export async function loadZones() {
  const response = await fetch('/healthz', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const body = await response.json();
  return body?.components?.collectors?.zones ?? {};
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes) {
  if (bytes == null || Number.isNaN(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The zones as rows for the test hook: { zone, state, lastContact, backlogBytes, oldestUnsentSeconds, samplesDropped, gaps }. */
export function zoneRows(zones) {
  return Object.entries(zones ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([zone, z]) => ({
    zone,
    state: z.state ?? 'unknown',
    lastContact: z.lastContact ?? null,
    backlogBytes: z.backlogBytes ?? 0,
    oldestUnsentSeconds: z.oldestUnsentSeconds ?? 0,
    samplesDropped: z.samplesDropped ?? 0,
    gaps: (z.gaps ?? []).length,
  }));
}

/** The tab's body: one row per zone, or a hint when there is none (null while loading). */
export function collectorsView(zones, loadingText) {
  if (!zones) return el('div', { class: 'muted pad' }, loadingText);
  const names = Object.keys(zones).sort((a, b) => a.localeCompare(b));
  if (names.length === 0) return el('div', { class: 'muted pad', id: 'co-none' }, t('co.none'));
  const columns = ['zone', 'state', 'lastContact', 'age', 'backlog', 'oldest', 'devices', 'polls', 'dropped', 'gap', 'version'];
  return el('div', { class: 'ad-section' }, el('table', { class: 'tk-table ad-table', id: 'co-zones' },
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, t(`co.${c}`))))),
    el('tbody', {}, ...names.map((name) => zoneRow(name, zones[name])))));
}

function zoneRow(name, zone) {
  const state = zone.state ?? 'unknown';
  const gap = (zone.gaps ?? []).at(-1);
  const failing = (zone.failingDevices ?? []).map((d) => d.id).join(', ');
  return el('tr', { 'data-zone': name, 'data-state': state, class: `co-${state}`, title: failing ? fill(t('co.failing'), failing) : '' },
    el('td', {}, name),
    el('td', { class: 'co-state' }, el('span', { class: `chip co-chip co-${state}` }, t(`co.state.${state}`))),
    el('td', { class: 'muted' }, formatDateTime(zone.lastContact)),
    el('td', { class: 'num' }, zone.lastContact ? formatDuration(zone.ageSeconds) : '—'),
    el('td', { class: 'num', 'data-backlog': String(zone.backlogBytes ?? 0) }, formatBytes(zone.backlogBytes ?? 0)),
    el('td', { class: 'num' }, formatDuration(zone.oldestUnsentSeconds ?? 0)),
    el('td', { class: 'num' }, String(zone.devices ?? 0)),
    el('td', { class: 'num' }, `${zone.polls ?? 0} / ${zone.failures ?? 0}`),
    el('td', { class: `num${zone.samplesDropped ? ' co-dropped' : ''}` }, String(zone.samplesDropped ?? 0)),
    el('td', { class: 'muted' }, gap ? fill(t('co.gapText'), formatDateTime(gap.from), formatDuration(gap.seconds), t(`co.state.${gap.worst}`)) : '—'),
    el('td', { class: 'muted' }, zone.version ?? ''));
}
