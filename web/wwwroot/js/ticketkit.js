// The ticket as the API answers it, shared by the tickets view, the dispatch board, the reports and the field page:
// the texts of tickets, the field names (one place knows them), the A..H timeline drawing, the state badge, the
// actions the server allows (`allowedActions`), and running a ticket command.
import { t, addText } from './i18n.js';
import { el, api, label, fill, formatDateTime, formatDuration } from './toolkit.js';

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
export function liveSegment(s, now) {
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

// ---------- shared by the views: badge, current segment, allowed actions, commands ----------

export function stateBadge(state) {
  return el('span', { class: `tk-state ${state ?? ''}`, 'data-state': state ?? '' }, label('tk.state', state));
}

/** The segment the ticket is in now (the running one), or the last missed one. */
export function currentSegment(ticket) {
  const segments = segmentsOf(ticket).map((s) => liveSegment(s, Date.now()));
  return segments.find((s) => s.startedAt && !s.endedAt && s.state !== 'pending' && s.state !== 'skipped') ?? null;
}

/**
 * What the signed-in user may do on this ticket now, as the server says (`allowedActions`: the ticket's state machine
 * and the user's role and team, see docs/API.md). The console draws its buttons from it and derives nothing itself.
 */
export function allowedActions(ticket) {
  return Array.isArray(ticket?.allowedActions) ? ticket.allowedActions : [];
}

/** Complaint actions still to do: 'review', 'followUp', 'reply'. */
export function complaintMissing(ticket) {
  if (ticket.category !== 'complaint') return [];
  if (Array.isArray(ticket.complaint?.missing)) return ticket.complaint.missing;
  if (Array.isArray(ticket.complaintMissing)) return ticket.complaintMissing;
  const done = new Set((Array.isArray(ticket.complaint) ? ticket.complaint : []).map((c) => c.action));
  return ['review', 'followUp', 'reply'].filter((a) => !done.has(a));
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
