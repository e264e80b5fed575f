// Incident tickets in the console: the view switcher (room | tickets | dispatch | reports | admin, by URL hash), the ticket
// list with filters and live updates, the ticket detail (A..H timeline against its targets, audit trail, the steps
// the state allows), the hotline form with report interception, the callback work list and the complaint list.
// Also the shared pieces the dispatch board (dispatch.js), the reports (reports.js) and the field page (field.js)
// use: the REST client, element helper, time formatting, the timeline drawing.
//
// Test hooks (tests/Monitoring.Browser.Tests/TicketConsoleTests.cs):
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
import { t, lang, addText, onLanguageChange, applyTo } from './i18n.js';
import { api as call, ApiError, can, currentUser } from './session.js';

addText({
  zh: {
    'view.room': '机房', 'view.tickets': '工单', 'view.dispatch': '调度', 'view.reports': '报表', 'view.admin': '管理',
    'tk.tab.list': '工单列表', 'tk.tab.new': '热线受理', 'tk.tab.callbacks': '回访', 'tk.tab.complaints': '投诉督办',
    'tk.filter.state': '状态', 'tk.filter.category': '类别', 'tk.filter.area': '区域', 'tk.filter.team': '班组',
    'tk.filter.overdue': '仅超时', 'tk.filter.search': '搜索工单号、报告人、设备、描述', 'tk.filter.all': '全部', 'tk.filter.open': '未关闭',
    'tk.col.id': '工单号', 'tk.col.title': '标题', 'tk.col.state': '状态', 'tk.col.category': '类别', 'tk.col.priority': '优先级',
    'tk.col.area': '区域', 'tk.col.team': '班组', 'tk.col.opened': '受理时间', 'tk.col.due': '当前环节', 'tk.col.device': '设备',
    'tk.empty': '没有符合条件的工单', 'tk.loading': '正在加载…', 'tk.loadFailed': '加载失败', 'tk.pickTicket': '选择一张工单查看详情',
    'tk.state.open': '待派单', 'tk.state.new': '新建', 'tk.state.dispatched': '已派单', 'tk.state.accepted': '已受理', 'tk.state.departed': '已出发',
    'tk.state.arrived': '已到达', 'tk.state.resolved': '已修复', 'tk.state.calledBack': '已回访', 'tk.state.closed': '已关闭',
    'tk.state.enRoute': '在途', 'tk.state.onSite': '已到场',
    'tk.cat.fault': '故障', 'tk.cat.request': '服务请求', 'tk.cat.complaint': '投诉', 'tk.cat.consultation': '咨询',
    'tk.prio.low': '低', 'tk.prio.normal': '普通', 'tk.prio.high': '高', 'tk.prio.urgent': '紧急', 'tk.prio.critical': '特急',
    'tk.class.standard': '普通用户', 'tk.class.normal': '普通用户', 'tk.class.important': '重要用户', 'tk.class.vip': 'VIP',
    'tk.channel.phone': '电话', 'tk.channel.web': '网页', 'tk.channel.message': '短信/消息', 'tk.channel.email': '邮件', 'tk.channel.alarm': '告警',
    'tk.source.alarm': '告警', 'tk.source.hotline': '热线',
    'tk.step.A': '受理', 'tk.step.B': '监控派单', 'tk.step.C': '到达抢修中心', 'tk.step.D': '中心派单', 'tk.step.E': '到达班组',
    'tk.step.F': '班组受理', 'tk.step.G': '出发', 'tk.step.H': '到达现场', 'tk.step.resolved': '修复', 'tk.step.calledBack': '回访', 'tk.step.closed': '关闭',
    'tk.seg.running': '进行中', 'tk.seg.met': '达标', 'tk.seg.missed': '超时', 'tk.seg.warned': '即将超时', 'tk.seg.pending': '未开始', 'tk.seg.skipped': '跳过',
    'tk.party.noc': '监控中心', 'tk.party.network': '网络', 'tk.party.centre': '抢修中心', 'tk.party.repairCentre': '抢修中心', 'tk.party.team': '班组', 'tk.party.overall': '全程（到场）',
    'tk.missedBy': '超时 {0}', 'tk.dueIn': '剩余 {0}', 'tk.target': '目标 {0}', 'tk.took': '用时 {0}',
    'tk.header.caller': '报告人', 'tk.header.phone': '电话', 'tk.header.department': '部门', 'tk.header.location': '地点',
    'tk.header.device': '设备', 'tk.header.port': '端口', 'tk.header.rack': '机柜', 'tk.header.room': '机房', 'tk.header.channel': '渠道',
    'tk.header.customerClass': '用户类别', 'tk.header.team': '班组', 'tk.header.links': '关联', 'tk.header.description': '描述',
    'tk.header.intercepted': '拦截报告', 'tk.header.source': '来源', 'tk.header.area': '区域', 'tk.header.notes': '备注', 'tk.header.attachments': '附件',
    'tk.timeline': '环节时限', 'tk.audit': '操作记录', 'tk.actions': '处理', 'tk.showWhere': '在机房中定位', 'tk.by': '操作人',
    'tk.act.dispatch': '派单', 'tk.act.accept': '受理', 'tk.act.recall': '退回', 'tk.act.depart': '出发', 'tk.act.arrive': '到达',
    'tk.act.resolve': '修复', 'tk.act.callback': '回访', 'tk.act.close': '关闭', 'tk.act.review': '审核', 'tk.act.followUp': '跟进',
    'tk.act.reply': '答复', 'tk.act.note': '添加备注', 'tk.act.submit': '提交', 'tk.act.receive': '签收',
    'tk.note': '说明', 'tk.satisfied': '满意', 'tk.unsatisfied': '不满意', 'tk.comment': '意见', 'tk.reason': '原因',
    'tk.toTeam': '派给班组', 'tk.toCentre': '派给抢修中心', 'tk.member': '人员', 'tk.actionFailed': '操作失败',
    'tk.complaint.reviewed': '审核', 'tk.complaint.followedUp': '跟进', 'tk.complaint.replied': '答复', 'tk.complaint.missing': '待办',
    'tk.callback.pending': '待回访', 'tk.callback.done': '已回访',
    'tk.new.title': '热线受理', 'tk.new.caller': '报告人', 'tk.new.phone': '电话', 'tk.new.department': '部门', 'tk.new.location': '地点',
    'tk.new.category': '类别', 'tk.new.customerClass': '用户类别', 'tk.new.channel': '渠道', 'tk.new.priority': '优先级',
    'tk.new.description': '故障描述', 'tk.new.device': '设备', 'tk.new.rack': '机柜', 'tk.new.room': '机房', 'tk.new.area': '区域',
    'tk.new.searchDevice': '搜索设备名称、地址或资产编号', 'tk.new.fromRoom': '取三维机房中选中的设备', 'tk.new.noSelection': '机房中没有选中设备',
    'tk.new.clearDevice': '清除', 'tk.new.open': '新建工单', 'tk.new.created': '已新建工单 {0}', 'tk.new.linked': '已关联到工单 {0}（拦截）',
    'tk.new.none': '（无）',
    'tk.icpt.title': '该位置已有未关闭的故障', 'tk.icpt.hint': '请先确认是否为同一故障：关联到已有工单，不要重复建单。',
    'tk.icpt.tickets': '未关闭工单', 'tk.icpt.alarms': '活动告警', 'tk.icpt.link': '关联到此工单', 'tk.icpt.none': '该位置没有未关闭的工单或告警',
    'tk.icpt.checking': '正在查找该位置的工单和告警…',
    'tk.cb.title': '回访工作单', 'tk.cb.empty': '没有待回访的工单', 'tk.cp.title': '投诉督办', 'tk.cp.empty': '没有待办的投诉',
    'tk.live.updated': '工单 {0} 已更新', 'tk.escalation': '督办',
    'dp.status.standby': '待命', 'dp.status.busy': '忙碌', 'dp.status.away': '离开',
    'dp.kind.centre': '抢修中心', 'dp.kind.field': '班组', 'dp.kind.noc': '监控中心',
    'tk.match.device': '同一设备', 'tk.match.rack': '同一机柜', 'tk.match.room': '同一机房', 'tk.match.area': '同一区域',
    'tk.esc.phoneReceiver': '电话催办', 'tk.esc.supervisors': '已升级督办',
    'unit.s': '秒', 'unit.min': '分', 'unit.h': '小时', 'unit.d': '天',
  },
  en: {
    'view.room': 'Room', 'view.tickets': 'Tickets', 'view.dispatch': 'Dispatch', 'view.reports': 'Reports', 'view.admin': 'Admin',
    'tk.tab.list': 'Tickets', 'tk.tab.new': 'Hotline report', 'tk.tab.callbacks': 'Callbacks', 'tk.tab.complaints': 'Complaints',
    'tk.filter.state': 'State', 'tk.filter.category': 'Category', 'tk.filter.area': 'Area', 'tk.filter.team': 'Team',
    'tk.filter.overdue': 'Overdue only', 'tk.filter.search': 'Search number, caller, device, description', 'tk.filter.all': 'All', 'tk.filter.open': 'Open',
    'tk.col.id': 'No.', 'tk.col.title': 'Title', 'tk.col.state': 'State', 'tk.col.category': 'Category', 'tk.col.priority': 'Priority',
    'tk.col.area': 'Area', 'tk.col.team': 'Team', 'tk.col.opened': 'Opened', 'tk.col.due': 'Current step', 'tk.col.device': 'Device',
    'tk.empty': 'No ticket matches', 'tk.loading': 'Loading…', 'tk.loadFailed': 'Could not load', 'tk.pickTicket': 'Pick a ticket to see its details',
    'tk.state.open': 'Open', 'tk.state.new': 'New', 'tk.state.dispatched': 'Dispatched', 'tk.state.accepted': 'Accepted', 'tk.state.departed': 'Departed',
    'tk.state.arrived': 'On site', 'tk.state.resolved': 'Resolved', 'tk.state.calledBack': 'Called back', 'tk.state.closed': 'Closed',
    'tk.state.enRoute': 'En route', 'tk.state.onSite': 'On site',
    'tk.cat.fault': 'Fault', 'tk.cat.request': 'Request', 'tk.cat.complaint': 'Complaint', 'tk.cat.consultation': 'Consultation',
    'tk.prio.low': 'Low', 'tk.prio.normal': 'Normal', 'tk.prio.high': 'High', 'tk.prio.urgent': 'Urgent', 'tk.prio.critical': 'Critical',
    'tk.class.standard': 'Standard', 'tk.class.normal': 'Standard', 'tk.class.important': 'Important', 'tk.class.vip': 'VIP',
    'tk.channel.phone': 'Phone', 'tk.channel.web': 'Web', 'tk.channel.message': 'Message', 'tk.channel.email': 'Email', 'tk.channel.alarm': 'Alarm',
    'tk.source.alarm': 'Alarm', 'tk.source.hotline': 'Hotline',
    'tk.step.A': 'Report taken', 'tk.step.B': 'NOC dispatched', 'tk.step.C': 'At repair centre', 'tk.step.D': 'Centre dispatched',
    'tk.step.E': 'At field team', 'tk.step.F': 'Accepted', 'tk.step.G': 'Departed', 'tk.step.H': 'On site',
    'tk.step.resolved': 'Resolved', 'tk.step.calledBack': 'Called back', 'tk.step.closed': 'Closed',
    'tk.seg.running': 'running', 'tk.seg.met': 'met', 'tk.seg.missed': 'missed', 'tk.seg.warned': 'due soon', 'tk.seg.pending': 'not started', 'tk.seg.skipped': 'skipped',
    'tk.party.noc': 'NOC', 'tk.party.network': 'Network', 'tk.party.centre': 'Repair centre', 'tk.party.repairCentre': 'Repair centre', 'tk.party.team': 'Team', 'tk.party.overall': 'To site',
    'tk.missedBy': 'missed by {0}', 'tk.dueIn': 'due in {0}', 'tk.target': 'target {0}', 'tk.took': 'took {0}',
    'tk.header.caller': 'Caller', 'tk.header.phone': 'Phone', 'tk.header.department': 'Department', 'tk.header.location': 'Location',
    'tk.header.device': 'Device', 'tk.header.port': 'Port', 'tk.header.rack': 'Rack', 'tk.header.room': 'Room', 'tk.header.channel': 'Channel',
    'tk.header.customerClass': 'Customer class', 'tk.header.team': 'Team', 'tk.header.links': 'Links', 'tk.header.description': 'Description',
    'tk.header.intercepted': 'Intercepted reports', 'tk.header.source': 'Source', 'tk.header.area': 'Area', 'tk.header.notes': 'Notes', 'tk.header.attachments': 'Attachments',
    'tk.timeline': 'Timeline against targets', 'tk.audit': 'Audit trail', 'tk.actions': 'Next step', 'tk.showWhere': 'Show me where', 'tk.by': 'By',
    'tk.act.dispatch': 'Dispatch', 'tk.act.accept': 'Accept', 'tk.act.recall': 'Recall', 'tk.act.depart': 'Depart', 'tk.act.arrive': 'Arrive',
    'tk.act.resolve': 'Resolve', 'tk.act.callback': 'Call back', 'tk.act.close': 'Close', 'tk.act.review': 'Review', 'tk.act.followUp': 'Follow up',
    'tk.act.reply': 'Reply', 'tk.act.note': 'Add note', 'tk.act.submit': 'Submit', 'tk.act.receive': 'Receive',
    'tk.note': 'Note', 'tk.satisfied': 'Satisfied', 'tk.unsatisfied': 'Not satisfied', 'tk.comment': 'Comment', 'tk.reason': 'Reason',
    'tk.toTeam': 'To team', 'tk.toCentre': 'To repair centre', 'tk.member': 'Member', 'tk.actionFailed': 'Failed',
    'tk.complaint.reviewed': 'reviewed', 'tk.complaint.followedUp': 'followed up', 'tk.complaint.replied': 'replied', 'tk.complaint.missing': 'Missing',
    'tk.callback.pending': 'Callback due', 'tk.callback.done': 'Called back',
    'tk.new.title': 'Hotline report', 'tk.new.caller': 'Caller', 'tk.new.phone': 'Phone', 'tk.new.department': 'Department', 'tk.new.location': 'Location',
    'tk.new.category': 'Category', 'tk.new.customerClass': 'Customer class', 'tk.new.channel': 'Channel', 'tk.new.priority': 'Priority',
    'tk.new.description': 'Description', 'tk.new.device': 'Device', 'tk.new.rack': 'Rack', 'tk.new.room': 'Room', 'tk.new.area': 'Area',
    'tk.new.searchDevice': 'Search device name, address or asset tag', 'tk.new.fromRoom': 'Use the device selected in the 3D room',
    'tk.new.noSelection': 'Nothing is selected in the room', 'tk.new.clearDevice': 'Clear', 'tk.new.open': 'Open ticket',
    'tk.new.created': 'Ticket {0} opened', 'tk.new.linked': 'Linked to ticket {0} (intercepted)', 'tk.new.none': '(none)',
    'tk.icpt.title': 'Open incidents already here', 'tk.icpt.hint': 'Is it the same fault? Link the report to the open ticket instead of opening a duplicate.',
    'tk.icpt.tickets': 'Open tickets', 'tk.icpt.alarms': 'Active alarms', 'tk.icpt.link': 'Link to this incident', 'tk.icpt.none': 'No open ticket or active alarm here',
    'tk.icpt.checking': 'Looking for open tickets and alarms here…',
    'tk.cb.title': 'Callback work list', 'tk.cb.empty': 'No callback due', 'tk.cp.title': 'Complaint follow-up', 'tk.cp.empty': 'No complaint waiting',
    'tk.live.updated': 'Ticket {0} updated', 'tk.escalation': 'Escalation',
    'dp.status.standby': 'standby', 'dp.status.busy': 'busy', 'dp.status.away': 'away',
    'dp.kind.centre': 'Repair centre', 'dp.kind.field': 'Field team', 'dp.kind.noc': 'NOC',
    'tk.match.device': 'same device', 'tk.match.rack': 'same rack', 'tk.match.room': 'same room', 'tk.match.area': 'same area',
    'tk.esc.phoneReceiver': 'phone the team', 'tk.esc.supervisors': 'supervisors escalated',
    'unit.s': 's', 'unit.min': 'min', 'unit.h': 'h', 'unit.d': 'd',
  },
});

// ---------- shared helpers ----------

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'for' || k === 'role' || k === 'list') node.setAttribute(k, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const child of children.flat()) if (child != null && child !== false) node.append(child);
  return node;
}

/** "{0}" placeholders filled in order. */
export const fill = (text, ...args) => args.reduce((s, a, i) => s.replaceAll(`{${i}}`, String(a)), text);

/** The translation of prefix.value if there is one, else the value itself (an enum the table does not know yet). */
export function label(prefix, value) {
  if (value == null || value === '') return '—';
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

// Every call goes through session.js: JSON, the anti-forgery header, the sign-in redirects, the server's error text.
export { ApiError };

export const api = {
  get: (url) => call(url),
  post: (url, body = {}) => call(url, { method: 'POST', body }),
  put: (url, body = {}) => call(url, { method: 'PUT', body }),
  delete: (url) => call(url, { method: 'DELETE' }),
};

/** A list answer may be a bare array or a page ({ items, total }). */
export const itemsOf = (page) => (Array.isArray(page) ? page : page?.items ?? page?.tickets ?? page?.teams ?? []);

const locale = () => (lang() === 'zh' ? 'zh-CN' : 'en-GB');

export function formatDateTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(locale(), { hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatClock(value) {
  if (!value) return '—';
  return new Date(value).toLocaleTimeString(locale(), { hour12: false });
}

/** 95 → "1 min 35 s"; 7200 → "2 h 0 min". */
export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? '-' : '';
  if (s < 60) return `${sign}${s} ${t('unit.s')}`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} ${t('unit.min')} ${s % 60} ${t('unit.s')}`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)} ${t('unit.h')} ${Math.floor((s % 3600) / 60)} ${t('unit.min')}`;
  return `${sign}${Math.floor(s / 86400)} ${t('unit.d')} ${Math.floor((s % 86400) / 3600)} ${t('unit.h')}`;
}

// ---------- the ticket as the API answers it (one place that knows the field names) ----------

export const STEP_ORDER = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'resolved', 'calledBack', 'closed'];

/** Seconds from an ISO duration-ish answer: a number of seconds, "hh:mm:ss" (TimeSpan) or null. */
export function seconds(value) {
  if (value == null) return null;
  if (typeof value === 'number') return value;
  const m = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(String(value));
  if (!m) return Number(value);
  const total = (Number(m[2] ?? 0) * 86400) + (Number(m[3]) * 3600) + (Number(m[4]) * 60) + Number(m[5]);
  return m[1] ? -total : total;
}

export const ticketNumber = (ticket) => ticket.number ?? `#${ticket.id}`;

/** The detail answer ({ summary, timeline, segments, ... }) flattened so a summary and a detail read alike. */
export function normalize(answerBody) {
  if (!answerBody || typeof answerBody !== 'object') return answerBody;
  if (!answerBody.summary) return answerBody;
  return { ...answerBody.summary, ...answerBody, steps: answerBody.timeline ?? answerBody.steps };
}

export function ticketTitle(ticket) {
  return ticket.title || ticket.summary || ticket.description?.split('\n')[0] || ticketNumber(ticket);
}

// The server's step names (TicketStep, camelCase) and the letters the practice uses.
const STEP_LETTERS = {
  reported: 'A', dispatched: 'B', centreReceived: 'C', centreDispatched: 'D', teamReceived: 'E', accepted: 'F', departed: 'G', arrived: 'H',
};
export const stepKey = (step) => STEP_LETTERS[step] ?? step;

/** Steps done, in order: [{ step, at, by, note }] with step 'A'..'H', 'resolved', 'calledBack', 'closed'. */
export function stepsOf(ticket) {
  const raw = ticket.steps ?? ticket.timeline?.steps ?? [];
  const list = Array.isArray(raw)
    ? raw.map((s) => ({ step: stepKey(s.step ?? s.name ?? s.id), at: s.at ?? s.time ?? s.timestamp, by: s.by ?? s.actor, note: s.note, team: s.team ?? s.teamId }))
    : Object.entries(raw).map(([step, v]) => ({ step: stepKey(step), at: v?.at ?? v, by: v?.by, note: v?.note }));
  return list.filter((s) => s.at).sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step));
}

/** Segments with their target: [{ id, from, to, party, targetSeconds, startedAt, endedAt, state, elapsedSeconds, missedBySeconds, dueAt }]. */
export function segmentsOf(ticket) {
  const raw = ticket.segments ?? ticket.timeline?.segments ?? [];
  const minutes = (m) => (m == null ? null : m * 60);
  return raw.map((s) => ({
    id: s.code ?? s.id ?? s.segment ?? `${stepKey(s.from)}${stepKey(s.to)}`,
    from: stepKey(s.from),
    to: stepKey(s.to),
    party: s.responsible ?? s.party ?? s.responsibleParty,
    targetSeconds: s.targetMinutes != null ? minutes(s.targetMinutes) : seconds(s.targetSeconds ?? s.target),
    startedAt: s.startedAt ?? s.start,
    endedAt: s.endedAt ?? s.end,
    state: s.state ?? s.status ?? 'pending',
    elapsedSeconds: s.elapsedMinutes !== undefined ? minutes(s.elapsedMinutes) : seconds(s.elapsedSeconds ?? s.elapsed),
    missedBySeconds: s.overByMinutes !== undefined ? minutes(s.overByMinutes) : seconds(s.missedBySeconds ?? s.overBy),
    dueAt: s.due ?? s.dueAt,
    warned: s.warned ?? false,
  }));
}

export function deviceOf(ticket) {
  return ticket.deviceId ?? ticket.device?.id ?? ticket.device ?? ticket.target?.deviceId ?? null;
}

export function stateOf(ticket) {
  return ticket.status ?? ticket.state;
}

// ---------- the timeline drawing: one bar per segment against its target ----------

/** The segment as it stands now (running segments keep counting on the client between messages). */
function liveSegment(s, now) {
  const started = s.startedAt ? Date.parse(s.startedAt) : null;
  const ended = s.endedAt ? Date.parse(s.endedAt) : null;
  let elapsed = s.elapsedSeconds;
  let state = s.state;
  if (started != null && ended == null && state !== 'pending' && state !== 'skipped') {
    elapsed = Math.max(0, (now - started) / 1000);
    if (state === 'met') state = 'running';
  } else if (started != null && ended != null && elapsed == null) {
    elapsed = (ended - started) / 1000;
  }
  const target = s.targetSeconds;
  let over = s.missedBySeconds;
  if (target != null && elapsed != null && elapsed > target) {
    over = elapsed - target;
    if (ended == null) state = 'missed';
  }
  if (ended == null && state === 'running' && target != null && elapsed != null && target - elapsed <= 60) state = 'warned';
  return { ...s, elapsed, state, over };
}

export function timelineView(ticket, now = Date.now()) {
  const segments = segmentsOf(ticket).map((s) => liveSegment(s, now));
  const scale = Math.max(60, ...segments.map((s) => Math.max(s.targetSeconds ?? 0, s.elapsed ?? 0)));
  const rows = segments.map((s) => {
    const width = (x) => `${Math.min(100, (100 * (x ?? 0)) / scale).toFixed(2)}%`;
    let note = '';
    if (s.state === 'missed') note = fill(t('tk.missedBy'), formatDuration(s.over));
    else if (s.state === 'met') note = fill(t('tk.took'), formatDuration(s.elapsed));
    else if ((s.state === 'running' || s.state === 'warned') && s.targetSeconds != null) note = fill(t('tk.dueIn'), formatDuration(Math.max(0, s.targetSeconds - (s.elapsed ?? 0))));
    const bar = el('div', { class: 'tl-track' },
      el('div', { class: `tl-bar ${s.state}`, style: `width:${width(s.elapsed)}` }),
      s.targetSeconds != null ? el('div', { class: 'tl-target', style: `left:${width(s.targetSeconds)}`, title: fill(t('tk.target'), formatDuration(s.targetSeconds)) }) : null);
    return el('div', { class: `tl-row ${s.state}`, 'data-segment': s.id, 'data-state': s.state },
      el('div', { class: 'tl-name' }, el('b', {}, s.id), el('span', { class: 'muted' }, label('tk.party', s.party))),
      bar,
      el('div', { class: 'tl-note' }, el('span', { class: `tl-state ${s.state}` }, label('tk.seg', s.state)), ' ', note,
        s.targetSeconds != null ? el('span', { class: 'muted' }, ` · ${fill(t('tk.target'), formatDuration(s.targetSeconds))}`) : null));
  });
  return { node: el('div', { class: 'timeline', id: 'ticket-timeline' }, ...rows), segments };
}

/** The step list: what happened when and who did it. */
export function stepsView(ticket) {
  const steps = stepsOf(ticket);
  return el('ol', { class: 'steps', id: 'ticket-steps' }, ...steps.map((s) =>
    el('li', { 'data-step': s.step },
      el('span', { class: 'step-key' }, s.step.length === 1 ? s.step : '✓'),
      el('span', {}, label('tk.step', s.step)),
      el('span', { class: 'muted' }, formatDateTime(s.at)),
      el('span', { class: 'muted' }, s.by ?? ''))));
}

// ---------- view switching by URL hash ----------

const VIEWS = ['room', 'tickets', 'dispatch', 'reports', 'admin'];
const host = { room: null, showDevice: () => {}, selectedDeviceId: () => null };
const view = { name: 'room', tab: 'list', ticketId: null };
const loaded = new Map(); // view name -> module with show()/hide()
const ticketListeners = new Set();
let hubMessages = 0;

/** Lets dispatch.js, reports.js and others hear `ticket` hub messages. */
export function onTicketMessage(fn) {
  ticketListeners.add(fn);
  return () => ticketListeners.delete(fn);
}

export function consoleHost() {
  return host;
}

function parseHash() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const [head, ...rest] = hash.split('/');
  const tail = rest.join('/');
  if (head === 'device' && tail) return { name: 'room', device: tail };
  if (head === 'tickets') {
    if (!tail) return { name: 'tickets', tab: 'list' };
    if (['new', 'callbacks', 'complaints', 'list'].includes(tail)) return { name: 'tickets', tab: tail };
    return { name: 'tickets', tab: !tickets.tab || tickets.tab === 'new' ? 'list' : tickets.tab, ticketId: tail };
  }
  if (VIEWS.includes(head)) return { name: head };
  return { name: 'room' };
}

async function route() {
  const target = parseHash();
  view.name = target.name;
  for (const tab of document.querySelectorAll('#view-switch .view-tab')) tab.classList.toggle('active', tab.dataset.view === target.name);
  for (const section of document.querySelectorAll('section.view')) section.hidden = section.dataset.view !== target.name;
  document.body.dataset.view = target.name;
  if (target.name === 'room') {
    if (target.device) host.showDevice(target.device);
    return;
  }
  if (target.name === 'tickets') {
    tickets.show(target);
    return;
  }
  let module = loaded.get(target.name);
  if (!module) {
    if (target.name === 'dispatch') module = await import('./dispatch.js');
    else if (target.name === 'admin') module = await import('./admin.js');
    else module = await import('./reports.js');
    loaded.set(target.name, module);
  }
  if (view.name === target.name) module.show(document.getElementById(`view-${target.name}`));
}

/** Called by app.js once the room is drawn. */
export function initTicketConsole(options) {
  Object.assign(host, options);
  window.addEventListener('hashchange', route);
  // a device chosen in the top bar's search is shown in the room, whatever view is open
  const toRoom = () => {
    if (view.name !== 'room') location.hash = '#room';
  };
  document.getElementById('search-results')?.addEventListener('mousedown', toRoom, true);
  document.getElementById('search')?.addEventListener('keydown', (e) => e.key === 'Enter' && toRoom(), true);
  onLanguageChange(() => {
    if (view.name === 'tickets') tickets.render();
    else if (view.name !== 'room') loaded.get(view.name)?.show(document.getElementById(`view-${view.name}`));
  });
  route();
}

/** Called by app.js with the live hub before it starts: ticket messages update whatever view shows them. */
export function attachTicketHub(hub) {
  hub.on('ticket', (message) => {
    hubMessages++;
    tickets.onMessage(message);
    for (const fn of ticketListeners) {
      try {
        fn(message);
      } catch (error) {
        console.warn('ticket listener', error);
      }
    }
  });
  hub.onreconnected(() => tickets.refresh());
  // the server dropped messages this console was too slow to read (ticket events among them): read again
  hub.on('resync', () => tickets.refresh());
}

// ---------- the tickets view ----------

const CATEGORIES = ['fault', 'request', 'complaint', 'consultation'];
const STATES = ['new', 'dispatched', 'accepted', 'enRoute', 'onSite', 'resolved', 'closed'];
const CHANNELS = ['phone', 'web', 'message', 'email'];
const CLASSES = ['standard', 'vip'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

const tickets = {
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
    tabs.replaceChildren(...['list', 'new', 'callbacks', 'complaints'].filter((tab) => tab !== 'new' || can('hotline')).map((tab) =>
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

export function stateBadge(state) {
  return el('span', { class: `tk-state ${state ?? ''}`, 'data-state': state ?? '' }, label('tk.state', state));
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

/** The segment the ticket is in now (the running one), or the last missed one. */
export function currentSegment(ticket) {
  const segments = segmentsOf(ticket).map((s) => liveSegment(s, Date.now()));
  return segments.find((s) => s.startedAt && !s.endedAt && s.state !== 'pending' && s.state !== 'skipped') ?? null;
}

function complaintChecklist(ticket) {
  const missing = complaintMissing(ticket);
  return el('span', { class: 'checklist' }, ...[['review', 'reviewed'], ['followUp', 'followedUp'], ['reply', 'replied']].map(([action, k]) => {
    const done = !missing.includes(action);
    return el('span', { class: done ? 'done' : 'missing', 'data-item': action }, `${done ? '✓' : '✗'} ${t(`tk.complaint.${k}`)}`);
  }));
}

// ---------- the detail pane ----------

/** Which commands the ticket's state allows: the server's list when it gives one, else from the state. */
export function allowedActions(ticket) {
  if (Array.isArray(ticket.actions)) return ticket.actions;
  if (Array.isArray(ticket.allowedActions)) return ticket.allowedActions;
  const state = stateOf(ticket);
  const missing = complaintMissing(ticket);
  const complaint = ['review', 'followUp', 'reply'].filter((a) => missing.includes(a));
  const steps = new Set(stepsOf(ticket).map((s) => s.step));
  const holderIsCentre = ticket.holder != null && (ticket.holder === ticket.centreId || teamKind(ticket.holder) === 'centre');
  switch (state) {
    case 'new': return ['dispatch', 'resolve', ...complaint];
    case 'dispatched':
      if (holderIsCentre) return [...(steps.has('C') ? [] : ['receive']), 'dispatch', 'resolve', ...complaint];
      return [...(steps.has('E') ? [] : ['receive']), 'accept', 'recall', 'dispatch', 'resolve', ...complaint];
    case 'accepted': return ['depart', 'recall', 'resolve', ...complaint];
    case 'enRoute': return ['arrive', 'resolve', ...complaint];
    case 'onSite': return ['resolve', ...complaint];
    case 'resolved': return [...(ticket.callback || steps.has('calledBack') ? [] : ['callback']), ...complaint, 'close'];
    case 'closed': return [...(ticket.callback || steps.has('calledBack') ? [] : ['callback'])];
    default: return [];
  }
}

/** Complaint actions still to do: 'review', 'followUp', 'reply'. */
export function complaintMissing(ticket) {
  if (ticket.category !== 'complaint') return [];
  if (Array.isArray(ticket.complaint?.missing)) return ticket.complaint.missing;
  if (Array.isArray(ticket.complaintMissing)) return ticket.complaintMissing;
  const done = new Set((Array.isArray(ticket.complaint) ? ticket.complaint : []).map((c) => c.action));
  return ['review', 'followUp', 'reply'].filter((a) => !done.has(a));
}

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
    device ? el('button', { type: 'button', class: 'btn', id: 'ticket-show-where', onclick: () => showWhere(device) }, `◎ ${t('tk.showWhere')}`) : null,
    ticket.category === 'complaint' ? el('div', { class: 'complaint-state' }, complaintChecklist(ticket)) : null,
    el('dl', { class: 'fields' }, ...fields),
    ticket.description ? el('p', { class: 'description' }, ticket.description) : null,
    el('h3', {}, t('tk.actions')),
    actionsView(ticket, reload),
    el('h3', {}, t('tk.timeline')),
    stepsView(ticket),
    timeline,
    notes.length ? el('h3', {}, t('tk.header.notes')) : null,
    notes.length ? el('ul', { class: 'notes' }, ...notes.map((n) => el('li', {}, el('span', { class: 'muted' }, `${formatDateTime(n.at)} ${n.by ?? ''}`), ' ', n.text ?? n.note ?? ''))) : null,
    attachments.length ? el('h3', {}, t('tk.header.attachments')) : null,
    attachments.length ? el('ul', { class: 'notes' }, ...attachments.map((a) => el('li', {}, `${a.name ?? a.fileName} · ${a.contentType ?? a.type ?? ''} · ${a.size ?? a.length ?? '?'} B`))) : null,
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

/** The permission (session.js `can`) a ticket action needs. */
const ACTION_PERMISSION = {
  dispatch: 'dispatch', recall: 'recall', receive: 'receive', accept: 'accept', depart: 'depart', arrive: 'arrive', resolve: 'resolve',
  callback: 'callback', close: 'closeTicket', review: 'complaint', followUp: 'complaint', reply: 'complaint', note: 'note',
};
const FIELD_STEPS = new Set(['receive', 'accept', 'depart', 'arrive', 'resolve', 'note']);

/**
 * May the signed-in user take this step on this ticket? The role's permission, and for a technician only on the
 * tickets their own team holds. Only hides buttons: the server decides.
 */
export function canOnTicket(action, ticket) {
  const user = currentUser();
  if (!can(ACTION_PERMISSION[action] ?? action)) return false;
  if (user?.role === 'technician' && FIELD_STEPS.has(action)) {
    const team = user.team ?? null;
    return team != null && (ticket?.holder === team || ticket?.teamId === team);
  }
  return true;
}

/** Runs a ticket command; answers the updated ticket (or null and shows the error in `status`). */
export async function runAction(ticket, action, body, status) {
  try {
    const answerBody = await api.post(`/api/tickets/${encodeURIComponent(ticket.id)}/${action}`, body);
    if (status) {
      status.textContent = '';
      status.className = 'tk-action-status';
    }
    return normalize(answerBody) ?? {};
  } catch (error) {
    if (status) {
      status.textContent = `${t('tk.actionFailed')}: ${error.message}`;
      status.className = 'tk-action-status error';
    }
    return null;
  }
}

/** Photos as metadata only (name, size, type): the bytes stay with the browser until an upload store exists. */
export function photoMetadata(files) {
  return [...(files ?? [])].map((f) => ({ name: f.name, size: f.size, contentType: f.type || 'application/octet-stream' }));
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
  const actions = allowedActions(ticket).filter((action) => canOnTicket(action, ticket));
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
    deviceQuery: '', deviceHits: [], status: '', generation: 0,
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
      row('tk.new.rack', rackSelect)),
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
    can('intercept') ? el('button', { type: 'button', class: 'btn primary icpt-link', 'data-id': String(ticket.id), onclick: (e) => linkReport(ticket, e.target) }, t('tk.icpt.link')) : null));
  const alarmRows = found.alarms.map((alarm) => el('li', { class: 'icpt-alarm', 'data-id': String(alarm.id) },
    el('div', {},
      el('span', { class: `sev ${alarm.severity ?? ''}` }, alarm.severity ?? ''), ' ', alarm.message ?? alarm.ruleName ?? '',
      el('div', { class: 'sub' }, [deviceName(alarm.deviceId ?? alarm.target?.deviceId), alarm.ticketId != null ? `#${alarm.ticketId}` : null, formatDateTime(alarm.raisedAt)].filter(Boolean).join(' · '))),
    alarm.ticketId != null && can('intercept')
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
  return {
    caller: { name: f.caller || null, phone: f.phone || null, department: f.department || null, location: f.location || null },
    category: f.category, customerClass: f.customerClass, channel: f.channel, priority: f.priority,
    description: f.description || undefined, title: f.description.split('\n')[0].slice(0, 80) || undefined,
    deviceId: f.deviceId ?? undefined, rackId: f.rackId || undefined, roomId: f.roomId || undefined, areaId: f.area || undefined,
  };
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

window.__tickets = {
  view: () => view.name,
  tab: () => tickets.tab ?? 'list',
  listIds: () => tickets.list.map((ticket) => ticket.id),
  listLoaded: () => tickets.listLoaded,
  detailId: () => tickets.detail?.id ?? null,
  detailSteps: () => (tickets.detail ? stepsOf(tickets.detail).map((s) => s.step) : []),
  detailSegments: () => (tickets.detail ? segmentsOf(tickets.detail).map((s) => liveSegment(s, Date.now())).map((s) => ({ id: s.id, state: s.state })) : []),
  interception: () => ({ loaded: tickets.interception.loaded, tickets: tickets.interception.tickets.map((x) => x.id), alarms: tickets.interception.alarms.map((x) => x.id) }),
  lastResult: () => tickets.lastResult,
  messages: () => hubMessages,
};

export { applyTo };
