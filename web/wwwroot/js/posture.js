// The security posture view (issue 23, branch "kb", #posture): the information-security indicators the security tools
// push as line protocol (measurement 'security', mapped onto the room's security-posture device), each with its live
// value and status (GET /api/devices/ID), its trend over the last 6 hours (GET /api/series, drawn as an SVG line
// built with createElementNS: no HTML strings) and the alarms on it (GET /api/alarms, this device's).
import { t, lang, addText } from './i18n.js';
import { expose } from './testhooks.js';
import { el, api, formatDateTime } from './toolkit.js';
import { host } from './consolestate.js';

addText({
  zh: {
    'ps.title': '信息安全态势', 'ps.none': '本机房没有安全态势设备', 'ps.noData': '暂无数据（等待安全工具推送）', 'ps.alarms': '安全告警',
    'ps.noAlarms': '当前无安全告警', 'ps.trend': '6 小时趋势', 'ps.updated': '更新于 {0}', 'ps.refresh': '刷新', 'ps.source': '来源',
  },
  en: {
    'ps.title': 'Security posture', 'ps.none': 'This room has no security-posture device', 'ps.noData': 'No data yet (waiting for the security tools)', 'ps.alarms': 'Security alarms',
    'ps.noAlarms': 'No security alarms', 'ps.trend': '6-hour trend', 'ps.updated': 'Updated {0}', 'ps.refresh': 'Refresh', 'ps.source': 'Source',
  },
});

const MODEL = 'security-posture-feed';
const ps = { root: null, device: null, source: null, values: [], trends: new Map(), alarms: [], error: null, loadedAt: null, timer: null };
const hooks = expose('__posture', { indicators: [], alarms: [], loaded: false, refresh: () => load() });

export function show(root) {
  ps.root = root;
  render();
  load();
  clearInterval(ps.timer);
  ps.timer = setInterval(() => (root.hidden ? clearInterval(ps.timer) : load()), 15_000);
}

async function load() {
  const device = (host.room?.devices ?? []).find((d) => d.model === MODEL);
  ps.device = device ?? null;
  if (!device) {
    hooks.loaded = true;
    render();
    return;
  }
  try {
    const [detail, alarms] = await Promise.all([api.get(`/api/devices/${encodeURIComponent(device.id)}`), api.get('/api/alarms')]);
    ps.values = (detail.values ?? []).filter((v) => v.metric.startsWith('security.'));
    ps.source = detail.tags?.source ?? null;
    ps.alarms = (alarms ?? []).filter((a) => a.target?.deviceId === device.id);
    const from = new Date(Date.now() - 6 * 3600e3).toISOString(); // 6 h: the raw samples (longer ranges answer rollups)
    const trends = await Promise.all(ps.values.map((v) =>
      api.get(`/api/series?device=${encodeURIComponent(device.id)}&metric=${encodeURIComponent(v.metric)}&from=${encodeURIComponent(from)}`).catch(() => null)));
    ps.values.forEach((v, i) => ps.trends.set(v.metric, trends[i]?.points ?? []));
    ps.error = null;
    ps.loadedAt = new Date();
  } catch (error) {
    ps.error = error.message;
  }
  hooks.indicators = ps.values.map((v) => ({ metric: v.metric, value: v.value, status: v.status, points: ps.trends.get(v.metric)?.length ?? 0 }));
  hooks.alarms = ps.alarms.map((a) => a.ruleId);
  hooks.loaded = true;
  render();
}

const SVG = 'http://www.w3.org/2000/svg';

function sparkline(points) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 200 40');
  svg.setAttribute('class', 'ps-trend');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('ps.trend'));
  if (points.length < 2) return svg;
  const values = points.map((p) => p.avg);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const t0 = points[0].t;
  const t1 = points.at(-1).t;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('points', points.map((p) => `${(((p.t - t0) / (t1 - t0 || 1)) * 198 + 1).toFixed(1)},${(38 - ((p.avg - min) / span) * 36).toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

function indicator(v) {
  const name = lang() === 'en' ? v.label ?? v.metric : v.labelZh ?? v.label ?? v.metric;
  const value = Number.isInteger(v.value) ? String(v.value) : v.value.toFixed(1);
  return el('div', { class: `ps-indicator status-${String(v.status).toLowerCase()}`, 'data-metric': v.metric, 'data-status': String(v.status).toLowerCase() },
    el('div', { class: 'ps-name' }, name),
    el('div', { class: 'ps-value' }, value, v.unit ? el('span', { class: 'unit' }, ` ${v.unit}`) : null),
    sparkline(ps.trends.get(v.metric) ?? []),
    el('div', { class: 'muted' }, formatDateTime(v.timestamp)));
}

function render() {
  const root = ps.root;
  if (!root || root.hidden) return;
  const head = el('div', { class: 'ps-head' }, el('h2', {}, t('ps.title')),
    ps.loadedAt ? el('span', { class: 'muted' }, t('ps.updated').replace('{0}', formatDateTime(ps.loadedAt))) : null,
    el('button', { type: 'button', class: 'btn small', id: 'ps-refresh', onclick: load }, t('ps.refresh')));
  if (!ps.device && hooks.loaded) {
    root.replaceChildren(el('div', { class: 'ps' }, head, el('div', { class: 'muted' }, t('ps.none'))));
    return;
  }
  const alarmMessage = (a) => (lang() === 'en' ? a.messageEn ?? a.message : a.message);
  root.replaceChildren(el('div', { class: 'ps', id: 'posture' },
    head,
    ps.error ? el('div', { class: 'error' }, ps.error) : null,
    ps.source ? el('div', { class: 'muted' }, `${t('ps.source')}: ${ps.source}`) : null,
    el('div', { class: 'ps-indicators', id: 'ps-indicators' }, ...(ps.values.length ? ps.values.map(indicator) : [el('div', { class: 'muted' }, t('ps.noData'))])),
    el('h3', {}, t('ps.alarms')),
    el('ul', { class: 'ps-alarms', id: 'ps-alarms' }, ...(ps.alarms.length
      ? ps.alarms.map((a) => el('li', { 'data-rule': a.ruleId, class: `sev-${a.severity}` }, el('b', {}, t(`sev.${a.severity}`)), ' ', alarmMessage(a), ' ',
        el('span', { class: 'muted' }, formatDateTime(a.raisedAt))))
      : [el('li', { class: 'muted' }, t('ps.noAlarms'))]))));
}
