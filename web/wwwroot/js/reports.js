// Service reports (ECharts): tickets per day, mean and 90th percentile per segment, SLA compliance per segment and
// responsible party, callback coverage and satisfaction, repeat faults, overdue and old tickets, intercepted
// reports; for a period, grouped by area, team, category or device type; with a CSV export of the same report.
//
// Test hooks (only with the test flag, see testhooks.js): window.__reports = { loaded(): boolean, period(): { from, to, groupBy }, total(): number|null,
//   charts(): string[] (chart ids drawn), csvHref(): string }
import { t, lang, addText } from './i18n.js';
import { el, api, label } from './toolkit.js';
import './ticketkit.js'; // the ticket texts (tk.*) the report's labels use
import { expose } from './testhooks.js';

addText({
  zh: {
    'rp.period': '时段', 'rp.groupBy': '分组', 'rp.from': '从', 'rp.to': '到', 'rp.apply': '查询', 'rp.csv': '导出 CSV',
    'rp.p.today': '今天', 'rp.p.7d': '近 7 天', 'rp.p.30d': '近 30 天', 'rp.p.month': '本月', 'rp.p.lastMonth': '上月', 'rp.p.custom': '自定义',
    'rp.g.area': '区域', 'rp.g.team': '班组', 'rp.g.category': '类别', 'rp.g.deviceType': '设备类型',
    'rp.k.tickets': '工单数', 'rp.k.mtta': '平均受理时长', 'rp.k.mttr': '平均修复时长', 'rp.k.close': '平均关闭时长',
    'rp.k.coverage': '回访率', 'rp.k.satisfaction': '满意率', 'rp.k.repeat': '重复故障', 'rp.k.overdue': '超时未办',
    'rp.k.old': '超过 3 天未关闭', 'rp.k.intercepted': '拦截报告',
    'rp.c.perDay': '每日工单数', 'rp.c.segments': '各环节平均 / P90 用时（分钟）', 'rp.c.compliance': '各环节达标率',
    'rp.c.party': '责任方达标率', 'rp.c.callback': '回访率与满意率', 'rp.c.backlog': '重复故障、超时与拦截',
    'rp.mean': '平均', 'rp.p90': 'P90', 'rp.all': '合计', 'rp.noData': '该时段没有工单', 'rp.loading': '正在计算…', 'rp.min': '分钟',
    'rp.table': '分组明细', 'rp.key': '分组',
    'rp.k.faultToTicket': '故障到开单（平均）', 'rp.faultToA': '故障→A', 'rp.zone': '按 {z} 时区计日',
  },
  en: {
    'rp.period': 'Period', 'rp.groupBy': 'Group by', 'rp.from': 'From', 'rp.to': 'To', 'rp.apply': 'Show', 'rp.csv': 'Export CSV',
    'rp.p.today': 'Today', 'rp.p.7d': 'Last 7 days', 'rp.p.30d': 'Last 30 days', 'rp.p.month': 'This month', 'rp.p.lastMonth': 'Last month', 'rp.p.custom': 'Custom',
    'rp.g.area': 'Area', 'rp.g.team': 'Team', 'rp.g.category': 'Category', 'rp.g.deviceType': 'Device type',
    'rp.k.tickets': 'Tickets', 'rp.k.mtta': 'Mean time to accept', 'rp.k.mttr': 'Mean time to repair', 'rp.k.close': 'Mean time to close',
    'rp.k.coverage': 'Callback coverage', 'rp.k.satisfaction': 'Satisfaction', 'rp.k.repeat': 'Repeat faults', 'rp.k.overdue': 'Overdue',
    'rp.k.old': 'Open over 3 days', 'rp.k.intercepted': 'Intercepted reports',
    'rp.c.perDay': 'Tickets per day', 'rp.c.segments': 'Mean / p90 per segment (minutes)', 'rp.c.compliance': 'SLA compliance per segment',
    'rp.c.party': 'SLA compliance per responsible party', 'rp.c.callback': 'Callback coverage and satisfaction', 'rp.c.backlog': 'Repeat faults, overdue, intercepted',
    'rp.mean': 'mean', 'rp.p90': 'p90', 'rp.all': 'All', 'rp.noData': 'No tickets in this period', 'rp.loading': 'Computing…', 'rp.min': 'min',
    'rp.table': 'Per group', 'rp.key': 'Group',
    'rp.k.faultToTicket': 'Fault to ticket (mean)', 'rp.faultToA': 'fault→A', 'rp.zone': 'days in {z}',
  },
});

const PERIODS = ['today', '7d', '30d', 'month', 'lastMonth', 'custom'];
const GROUPS = ['area', 'team', 'category', 'deviceType'];
const AXIS = { color: '#8a9bb0', fontSize: 10 };
const COLORS = ['#38bdf8', '#f59e0b', '#a78bfa', '#22c55e', '#ef4444', '#f472b6', '#14b8a6', '#eab308'];

const rp = {
  root: null,
  period: '7d',
  groupBy: 'area',
  customFrom: '',
  customTo: '',
  report: null,
  error: null,
  loaded: false,
  charts: new Map(),
  echarts: null,
  generation: 0,
};

const dayStart = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
const isoDate = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** [from, to) of the chosen period, local days. */
function range() {
  const now = new Date();
  const today = dayStart(now);
  const tomorrow = new Date(today.getTime() + 86400e3);
  switch (rp.period) {
    case 'today': return [today, tomorrow];
    case '30d': return [new Date(tomorrow.getTime() - 30 * 86400e3), tomorrow];
    case 'month': return [new Date(now.getFullYear(), now.getMonth(), 1), tomorrow];
    case 'lastMonth': return [new Date(now.getFullYear(), now.getMonth() - 1, 1), new Date(now.getFullYear(), now.getMonth(), 1)];
    case 'custom': {
      const from = rp.customFrom ? new Date(`${rp.customFrom}T00:00:00`) : new Date(tomorrow.getTime() - 7 * 86400e3);
      const to = rp.customTo ? new Date(new Date(`${rp.customTo}T00:00:00`).getTime() + 86400e3) : tomorrow;
      return [from, to];
    }
    default: return [new Date(tomorrow.getTime() - 7 * 86400e3), tomorrow];
  }
}

function query(format) {
  const [from, to] = range();
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), groupBy: rp.groupBy });
  if (format) q.set('format', format);
  return `/api/reports/service?${q}`;
}

export function show(root) {
  rp.root = root;
  render();
  load();
}

async function load() {
  const generation = ++rp.generation;
  rp.loaded = false;
  try {
    const report = await api.get(query());
    if (generation !== rp.generation) return;
    rp.report = report;
    rp.error = null;
  } catch (error) {
    if (generation !== rp.generation) return;
    rp.error = error.message;
  }
  rp.loaded = true;
  if (rp.root && !rp.root.hidden) render();
}

const percent = (v) => (v == null ? null : v <= 1 ? v * 100 : v);
const formatPercent = (v) => (v == null ? '—' : `${percent(v).toFixed(1)} %`);
const formatMinutes = (v) => (v == null ? '—' : `${v.toFixed(1)} ${t('rp.min')}`);

function controls() {
  const period = el('select', { id: 'rp-period', onchange: (e) => { rp.period = e.target.value; render(); load(); } },
    ...PERIODS.map((p) => el('option', { value: p, selected: p === rp.period }, t(`rp.p.${p}`))));
  const group = el('select', { id: 'rp-group', onchange: (e) => { rp.groupBy = e.target.value; load(); } },
    ...GROUPS.map((g) => el('option', { value: g, selected: g === rp.groupBy }, t(`rp.g.${g}`))));
  const custom = rp.period === 'custom'
    ? [
      el('label', {}, t('rp.from'), el('input', { type: 'date', value: rp.customFrom || isoDate(range()[0]), onchange: (e) => (rp.customFrom = e.target.value) })),
      el('label', {}, t('rp.to'), el('input', { type: 'date', value: rp.customTo || isoDate(new Date(range()[1].getTime() - 86400e3)), onchange: (e) => (rp.customTo = e.target.value) })),
      el('button', { type: 'button', class: 'btn', onclick: () => load() }, t('rp.apply')),
    ]
    : [];
  return el('div', { class: 'rp-controls' },
    el('label', {}, t('rp.period'), period), ...custom,
    el('label', {}, t('rp.groupBy'), group),
    el('a', { class: 'btn', id: 'rp-csv', href: query('csv'), download: `service-report-${rp.groupBy}.csv` }, `⤓ ${t('rp.csv')}`));
}

function kpis(all) {
  const items = [
    ['tickets', all.tickets], ['mtta', formatMinutes(all.mttaMinutes)], ['mttr', formatMinutes(all.mttrMinutes)], ['close', formatMinutes(all.timeToCloseMinutes)],
    ['coverage', formatPercent(all.callbackCoverage)], ['satisfaction', formatPercent(all.satisfactionRate)], ['repeat', all.repeatFaults],
    ['overdue', all.overdue], ['old', all.olderThan3Days], ['intercepted', all.intercepted],
    ['faultToTicket', formatMinutes(all.faultToTicket?.meanMinutes)],
  ];
  return el('div', { class: 'rp-kpis', id: 'rp-kpis' }, ...items.map(([k, v]) =>
    el('div', { class: 'rp-kpi', 'data-kpi': k }, el('div', { class: 'v' }, String(v ?? '—')), el('div', { class: 'k' }, t(`rp.k.${k}`)))));
}

function groupName(key) {
  if (rp.groupBy === 'category') return label('tk.cat', key);
  return key;
}

function groupTable(report) {
  const cols = [['tickets', (g) => g.tickets], ['mtta', (g) => formatMinutes(g.mttaMinutes)], ['mttr', (g) => formatMinutes(g.mttrMinutes)],
    ['coverage', (g) => formatPercent(g.callbackCoverage)], ['satisfaction', (g) => formatPercent(g.satisfactionRate)],
    ['repeat', (g) => g.repeatFaults], ['overdue', (g) => g.overdue], ['old', (g) => g.olderThan3Days], ['intercepted', (g) => g.intercepted],
    ['faultToTicket', (g) => formatMinutes(g.faultToTicket?.meanMinutes)]];
  const rows = [...(report.groups ?? []), { ...report.all, key: t('rp.all') }];
  return el('table', { class: 'tk-table', id: 'rp-table' },
    el('thead', {}, el('tr', {}, el('th', {}, t('rp.key')), ...cols.map(([k]) => el('th', {}, t(`rp.k.${k}`))))),
    el('tbody', {}, ...rows.map((g) => el('tr', {}, el('td', {}, groupName(g.key)), ...cols.map(([, f]) => el('td', {}, String(f(g) ?? '—')))))));
}

function render() {
  const root = rp.root;
  if (!root) return;
  for (const chart of rp.charts.values()) chart.dispose();
  rp.charts.clear();
  const report = rp.report;
  const body = [controls()];
  if (rp.error) body.push(el('div', { class: 'error' }, rp.error));
  else if (!report) body.push(el('div', { class: 'muted' }, t('rp.loading')));
  else {
    body.push(kpis(report.all ?? {}));
    if (!report.all?.tickets) body.push(el('div', { class: 'muted', id: 'rp-empty' }, t('rp.noData')));
    const chartIds = ['perDay', 'segments', 'compliance', 'party', 'callback', 'backlog'];
    body.push(el('div', { class: 'rp-charts' }, ...chartIds.map((id) =>
      el('div', { class: 'rp-chart' }, el('h3', {}, chartTitle(id, report)), el('div', { class: 'c', id: `rp-chart-${id}` })))));
    body.push(el('h3', {}, t('rp.table')), groupTable(report));
    if (report.knowledge) body.push(knowledgePart(report.knowledge)); // branch "kb"
  }
  root.replaceChildren(el('div', { class: 'rp' }, ...body));
  if (report && !rp.error) drawCharts(report);
}

/** A chart's title; tickets per day names the site's time zone its days are counted in (issue 19, clocks). */
function chartTitle(id, report) {
  const title = t(`rp.c.${id}`);
  return id === 'perDay' && report.timeZone ? `${title} (${t('rp.zone').replace('{z}', report.timeZone)})` : title;
}

/** The site's days the server counted in (its time zone), or the browser's local days of the period. */
function reportDays(report) {
  const listed = (report.all?.perDay ?? []).map((p) => String(p.date).slice(0, 10));
  if (listed.length) return listed;
  const [from, to] = range();
  const days = [];
  for (let d = new Date(from); d < to; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) days.push(isoDate(d));
  return days;
}

/** Fault → A (alarm tickets: how long the fault ran before the ticket opened) in front of the A..H segments. */
function withFaultToTicket(all, codes, segments) {
  const fault = all.faultToTicket;
  if (!fault?.count) return { codes, mean: segments.map((s) => round(s.meanMinutes)), p90: segments.map((s) => round(s.p90Minutes)) };
  return {
    codes: [t('rp.faultToA'), ...codes],
    mean: [round(fault.meanMinutes), ...segments.map((s) => round(s.meanMinutes))],
    p90: [round(fault.p90Minutes), ...segments.map((s) => round(s.p90Minutes))],
  };
}

async function drawCharts(report) {
  rp.echarts ??= await import('echarts');
  if (rp.report !== report) return;
  const all = report.all ?? {};
  const groups = report.groups ?? [];
  const base = {
    animation: false,
    color: COLORS,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, textStyle: { color: '#c8d3e0', fontSize: 10 }, itemHeight: 8 },
    grid: { left: 44, right: 12, top: 28, bottom: 28 },
  };
  const category = (data) => ({ type: 'category', data, axisLabel: { ...AXIS, hideOverlap: true }, axisLine: { lineStyle: { color: '#233042' } } });
  const value = (extra = {}) => ({ type: 'value', axisLabel: AXIS, splitLine: { lineStyle: { color: '#1a2533' } }, ...extra });
  const pct = value({ max: 100, axisLabel: { ...AXIS, formatter: '{value}%' } });

  // tickets per day: one stacked bar per group, every day of the period (the site's days) on the axis
  const days = reportDays(report);
  const perDay = (g) => {
    const counts = new Map((g.perDay ?? []).map((p) => [String(p.date).slice(0, 10), p.count]));
    return days.map((d) => counts.get(d) ?? 0);
  };
  const shown = groups.length ? groups.slice(0, 8) : [{ ...all, key: t('rp.all') }];
  draw('perDay', { ...base, xAxis: category(days.map((d) => d.slice(5))), yAxis: value({ minInterval: 1 }),
    series: shown.map((g) => ({ type: 'bar', stack: 'day', name: groupName(g.key), data: perDay(g) })) });

  const segments = all.segments ?? [];
  const codes = segments.map((s) => (s.code === 'toSite' ? label('tk.party', 'overall') : s.code));
  const timed = withFaultToTicket(all, codes, segments);
  draw('segments', { ...base, xAxis: category(timed.codes), yAxis: value(),
    series: [
      { type: 'bar', name: t('rp.mean'), data: timed.mean },
      { type: 'bar', name: t('rp.p90'), data: timed.p90 },
    ] });
  draw('compliance', { ...base, legend: { show: false }, xAxis: category(codes), yAxis: pct,
    series: [{ type: 'bar', name: t('rp.c.compliance'), data: segments.map((s) => ({ value: round(percent(s.compliance)), itemStyle: { color: complianceColor(s.compliance) } })) }] });
  const parties = all.compliance ?? [];
  draw('party', { ...base, legend: { show: false }, xAxis: category(parties.map((p) => label('tk.party', p.responsible))), yAxis: pct,
    series: [{ type: 'bar', name: t('rp.c.party'), data: parties.map((p) => ({ value: round(percent(p.compliance)), itemStyle: { color: complianceColor(p.compliance) } })) }] });
  const rows = [...groups, { ...all, key: t('rp.all') }];
  draw('callback', { ...base, xAxis: category(rows.map((g) => groupName(g.key))), yAxis: pct,
    series: [
      { type: 'bar', name: t('rp.k.coverage'), data: rows.map((g) => round(percent(g.callbackCoverage))) },
      { type: 'bar', name: t('rp.k.satisfaction'), data: rows.map((g) => round(percent(g.satisfactionRate))) },
    ] });
  draw('backlog', { ...base, xAxis: category(rows.map((g) => groupName(g.key))), yAxis: value({ minInterval: 1 }),
    series: [
      { type: 'bar', name: t('rp.k.repeat'), data: rows.map((g) => g.repeatFaults ?? 0) },
      { type: 'bar', name: t('rp.k.overdue'), data: rows.map((g) => g.overdue ?? 0) },
      { type: 'bar', name: t('rp.k.old'), data: rows.map((g) => g.olderThan3Days ?? 0) },
      { type: 'bar', name: t('rp.k.intercepted'), data: rows.map((g) => g.intercepted ?? 0) },
    ] });
}

const round = (v) => (v == null ? null : Math.round(v * 10) / 10);
const complianceColor = (v) => (v == null ? '#7b8794' : percent(v) >= 95 ? '#22c55e' : percent(v) >= 80 ? '#facc15' : '#ef4444');

function draw(id, option) {
  const host = document.getElementById(`rp-chart-${id}`);
  if (!host) return;
  const chart = rp.echarts.init(host, null, { renderer: 'canvas' });
  const empty = chartIsEmpty(option);
  host.dataset.empty = String(empty);
  chart.setOption({ ...option, ...(empty ? noDataOption(t(id === 'perDay' ? 'chart.noTickets' : 'chart.noData')) : {}), series: option.series.map((series) => ({ barMaxWidth: 36, ...series })) });
  rp.charts.set(id, chart);
}

/** No value other than 0/null in any series: the chart says so instead of drawing empty axes. */
function chartIsEmpty(option) {
  return option.series.every((series) => series.data.every((d) => {
    const v = d != null && typeof d === 'object' ? d.value : d;
    return v == null || v === 0;
  }));
}

/** The text in the middle of a chart without data, its axes hidden. */
function noDataOption(text) {
  return {
    graphic: [{ type: 'text', left: 'center', top: 'middle', style: { text, fill: '#9fb0c4', fontSize: 13 } }],
    xAxis: { show: false }, yAxis: { show: false }, legend: { show: false },
  };
}

window.addEventListener('resize', () => {
  for (const chart of rp.charts.values()) chart.resize();
});

expose('__reports', {
  loaded: () => rp.loaded,
  period: () => {
    const [from, to] = range();
    return { from: from.toISOString(), to: to.toISOString(), groupBy: rp.groupBy };
  },
  total: () => rp.report?.all?.tickets ?? null,
  charts: () => [...rp.charts.keys()],
  csvHref: () => query('csv'),
  lang: () => lang(),
});

// ---------- branch "kb": the knowledge base's part of the report (issue 23) ----------

addText({
  zh: {
    'rp.kb.title': '知识库使用', 'rp.kb.opened': '打开次数', 'rp.kb.helpful': '有帮助', 'rp.kb.notHelpful': '无帮助', 'rp.kb.fromAlarms': '从告警打开',
    'rp.kb.fromTickets': '从工单打开', 'rp.kb.published': '已发布文章', 'rp.kb.drafts': '草稿', 'rp.kb.article': '文章',
  },
  en: {
    'rp.kb.title': 'Knowledge base use', 'rp.kb.opened': 'Opened', 'rp.kb.helpful': 'Helpful', 'rp.kb.notHelpful': 'Not helpful', 'rp.kb.fromAlarms': 'From alarms',
    'rp.kb.fromTickets': 'From tickets', 'rp.kb.published': 'Published articles', 'rp.kb.drafts': 'Drafts', 'rp.kb.article': 'Article',
  },
});

function knowledgePart(kb) {
  const figures = ['opened', 'helpful', 'notHelpful', 'fromAlarms', 'fromTickets', 'published', 'drafts'];
  const title = (row) => (lang() === 'en' ? row.titleEn || row.titleZh : row.titleZh || row.titleEn);
  return el('section', { class: 'rp-kb', id: 'rp-kb' },
    el('h3', {}, t('rp.kb.title')),
    el('div', { class: 'rp-kpis' }, ...figures.map((k) => el('div', { class: 'rp-kpi', 'data-kpi': `kb-${k}` }, el('div', { class: 'v' }, String(kb[k] ?? 0)), el('div', { class: 'k' }, t(`rp.kb.${k}`))))),
    kb.top?.length
      ? el('table', { class: 'tk-table', id: 'rp-kb-top' },
        el('thead', {}, el('tr', {}, ...['article', 'opened', 'helpful', 'notHelpful'].map((k) => el('th', {}, t(`rp.kb.${k}`))))),
        el('tbody', {}, ...kb.top.map((row) => el('tr', { 'data-id': String(row.articleId) },
          el('td', {}, el('a', { href: `#kb/${row.articleId}` }, title(row))), el('td', { class: 'num' }, String(row.opened)),
          el('td', { class: 'num' }, String(row.helpful)), el('td', { class: 'num' }, String(row.notHelpful))))))
      : null);
}
