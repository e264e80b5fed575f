// zh-CN and English. The language comes from what the user chose last (localStorage), else the browser's.
const STORAGE_KEY = 'monitoring.lang';

const TEXT = {
  zh: {
    title: '机房三维监控',
    searchPlaceholder: '搜索设备、地址、资产号',
    noResults: '没有找到匹配的设备',
    home: '全景',
    legend: '状态图例',
    'status.unknown': '未知', 'status.ok': '正常', 'status.warning': '预警', 'status.alarm': '告警', 'status.down': '中断',
    'hub.connecting': '正在连接', 'hub.connected': '实时连接', 'hub.reconnecting': '正在重连', 'hub.disconnected': '已断开',
    lastUpdate: '最近更新', never: '暂无',
    devices: '设备', racks: '机柜', ports: '端口',
    close: '关闭',
    'field.model': '型号', 'field.vendor': '厂商', 'field.kind': '类型', 'field.location': '位置', 'field.address': '管理地址',
    'field.assetTag': '资产编号', 'field.role': '角色', 'field.status': '状态', 'field.profile': '采集配置',
    values: '实时数据', noValues: '暂无数据', portValues: '端口数据', trend: '趋势',
    'face.front': '前', 'face.rear': '后',
    loading: '正在加载机房…', loadFailed: '机房数据加载失败', rowSuffix: '列',
    'kind.switch': '交换机', 'kind.router': '路由器', 'kind.firewall': '防火墙', 'kind.server': '服务器', 'kind.storage': '存储',
    'kind.patchPanel': '配线架', 'kind.pdu': 'PDU', 'kind.ups': 'UPS', 'kind.airConditioner': '精密空调', 'kind.sensor': '温湿度传感器',
    'kind.probe': '边缘探针', 'kind.lamp': '声光告警灯', 'kind.other': '其他',
    'sev.critical': '紧急', 'sev.major': '重要', 'sev.minor': '次要', 'sev.warning': '提示',
    'alarms.title': '告警', 'alarms.list': '告警列表', 'alarms.none': '当前没有告警', 'alarms.more': '另有 {n} 条未确认',
    'alarms.ack': '确认', 'alarms.shelve': '屏蔽', 'alarms.unshelve': '取消屏蔽', 'alarms.mute': '静音', 'alarms.muted': '已静音至',
    'alarms.muteTitle': '静音告警声音与蜂鸣器（需填写原因，最长 30 分钟）', 'alarms.enableSound': '启用告警声音',
    'alarms.col.severity': '级别', 'alarms.col.target': '设备 / 端口', 'alarms.col.message': '告警内容', 'alarms.col.time': '发生时间', 'alarms.col.state': '状态',
    'alarms.state.raised': '未确认', 'alarms.state.acknowledged': '已确认', 'alarms.state.cleared': '已恢复', 'alarms.state.closed': '已关闭',
    'alarms.state.unacked': '未确认', 'alarms.state.shelved': '已屏蔽', 'alarms.state.maintenance': '维护中', 'alarms.state.suppressed': '已抑制', 'alarms.state.silent': '静默（抑制/屏蔽/维护）',
    'alarms.suppressedBy': '被根因告警抑制', 'alarms.suppresses': '抑制 {n} 条衍生告警',
    'alarms.allSeverities': '全部级别', 'alarms.allRooms': '全部机房', 'alarms.allStates': '全部状态',
    'alarms.dialog.ack': '确认告警', 'alarms.dialog.shelve': '屏蔽告警', 'alarms.dialog.unshelve': '取消屏蔽', 'alarms.dialog.mute': '告警静音', 'alarms.dialog.unmute': '取消静音',
    'alarms.user': '操作人', 'alarms.comment': '备注', 'alarms.reason': '原因', 'alarms.minutes': '时长（分钟）', 'alarms.ok': '确定', 'alarms.cancel': '取消',
    'alarms.needUser': '请填写操作人', 'alarms.needReason': '请填写原因', 'alarms.failed': '操作失败',
    // console branch (issue 20): charts without data, the search box
    'chart.noData': '此时段没有数据', 'chart.noTickets': '此时段没有工单',
    hint: '拖动旋转 · 右键平移 · 滚轮缩放 · 单击机柜飞到机柜 · 单击设备或端口查看详情',
  },
  en: {
    title: '3D machine room',
    searchPlaceholder: 'Search device, IP, asset tag',
    noResults: 'No matching device',
    home: 'Overview',
    legend: 'Status legend',
    'status.unknown': 'Unknown', 'status.ok': 'OK', 'status.warning': 'Warning', 'status.alarm': 'Alarm', 'status.down': 'Down',
    'hub.connecting': 'Connecting', 'hub.connected': 'Live', 'hub.reconnecting': 'Reconnecting', 'hub.disconnected': 'Disconnected',
    lastUpdate: 'Last update', never: 'none yet',
    devices: 'Devices', racks: 'Racks', ports: 'Ports',
    close: 'Close',
    'field.model': 'Model', 'field.vendor': 'Vendor', 'field.kind': 'Kind', 'field.location': 'Location', 'field.address': 'Address',
    'field.assetTag': 'Asset tag', 'field.role': 'Role', 'field.status': 'Status', 'field.profile': 'Profile',
    values: 'Live values', noValues: 'No values yet', portValues: 'Port values', trend: 'Trend',
    'face.front': 'front', 'face.rear': 'rear',
    loading: 'Loading the room…', loadFailed: 'Could not load the room', rowSuffix: 'row',
    'kind.switch': 'Switch', 'kind.router': 'Router', 'kind.firewall': 'Firewall', 'kind.server': 'Server', 'kind.storage': 'Storage',
    'kind.patchPanel': 'Patch panel', 'kind.pdu': 'PDU', 'kind.ups': 'UPS', 'kind.airConditioner': 'Air conditioner',
    'kind.sensor': 'Temperature/humidity sensor', 'kind.probe': 'Edge probe', 'kind.lamp': 'Alarm lamp', 'kind.other': 'Other',
    'sev.critical': 'Critical', 'sev.major': 'Major', 'sev.minor': 'Minor', 'sev.warning': 'Warning',
    'alarms.title': 'Alarms', 'alarms.list': 'Alarm list', 'alarms.none': 'No alarms', 'alarms.more': '{n} more unacknowledged',
    'alarms.ack': 'Acknowledge', 'alarms.shelve': 'Shelve', 'alarms.unshelve': 'Unshelve', 'alarms.mute': 'Mute', 'alarms.muted': 'Muted until',
    'alarms.muteTitle': 'Mute the alarm sound and the lamp buzzer (a reason is required, at most 30 minutes)', 'alarms.enableSound': 'Enable alarm sound',
    'alarms.col.severity': 'Severity', 'alarms.col.target': 'Device / port', 'alarms.col.message': 'Alarm', 'alarms.col.time': 'Raised', 'alarms.col.state': 'State',
    'alarms.state.raised': 'Unacknowledged', 'alarms.state.acknowledged': 'Acknowledged', 'alarms.state.cleared': 'Cleared', 'alarms.state.closed': 'Closed',
    'alarms.state.unacked': 'unacknowledged', 'alarms.state.shelved': 'Shelved', 'alarms.state.maintenance': 'In maintenance', 'alarms.state.suppressed': 'Suppressed', 'alarms.state.silent': 'Silent (suppressed/shelved/maintenance)',
    'alarms.suppressedBy': 'suppressed by root cause', 'alarms.suppresses': 'suppresses {n} alarms',
    'alarms.allSeverities': 'All severities', 'alarms.allRooms': 'All rooms', 'alarms.allStates': 'All states',
    'alarms.dialog.ack': 'Acknowledge alarm', 'alarms.dialog.shelve': 'Shelve alarm', 'alarms.dialog.unshelve': 'Unshelve alarm', 'alarms.dialog.mute': 'Mute alarms', 'alarms.dialog.unmute': 'Unmute',
    'alarms.user': 'Operator', 'alarms.comment': 'Comment', 'alarms.reason': 'Reason', 'alarms.minutes': 'Duration (minutes)', 'alarms.ok': 'OK', 'alarms.cancel': 'Cancel',
    'alarms.needUser': 'Who are you? Fill in the operator', 'alarms.needReason': 'A reason is required', 'alarms.failed': 'Failed',
    // console branch (issue 20): charts without data, the search box
    'chart.noData': 'No data in this period', 'chart.noTickets': 'No tickets in this period',
    hint: 'Drag to orbit · right-drag to pan · wheel to zoom · click a rack to fly to it · click a device or port for details',
  },
};

function initialLanguage() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    // storage may be disabled; fall back to the browser language
  }
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  return langs[0]?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let current = initialLanguage();
const listeners = new Set();

export const lang = () => current;
export const t = (key) => TEXT[current][key] ?? TEXT.en[key] ?? key;

export function setLanguage(value, remember = true) {
  if (value !== 'zh' && value !== 'en') return;
  current = value;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, value);
    } catch {
      // not remembered, still switched
    }
  }
  applyTo(document);
  for (const fn of listeners) fn(value);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

/**
 * Lets a feature module (alarms, tickets, ...) bring its own strings: `addText({ zh: {...}, en: {...} })`.
 * Every key must exist in both languages; a key already taken is an error, not a silent overwrite.
 */
export function addText(strings) {
  for (const language of ['zh', 'en']) {
    for (const [key, value] of Object.entries(strings[language] ?? {})) {
      if (key in TEXT[language]) throw new Error(`i18n key '${key}' is defined twice`);
      TEXT[language][key] = value;
    }
  }
  const missing = Object.keys(strings.zh ?? {}).filter((k) => !(k in (strings.en ?? {})))
    .concat(Object.keys(strings.en ?? {}).filter((k) => !(k in (strings.zh ?? {}))));
  if (missing.length > 0) throw new Error(`i18n keys missing a translation: ${missing.join(', ')}`);
}

// ---------- branch "language": texts that come from the server in both languages ----------

/** An alarm's message in the console's language: `messageEn` in English (the Chinese `message` when there is none), `message` in Chinese. */
export function alarmMessage(alarm) {
  if (!alarm) return '';
  return current === 'en' ? alarm.messageEn ?? alarm.message ?? '' : alarm.message ?? '';
}

/** A configured thing's name (team, skill, area, room) in the console's language: `nameEn` in English when it has one. */
export function localName(thing) {
  if (!thing) return '';
  return current === 'en' && thing.nameEn ? thing.nameEn : thing.name ?? thing.id ?? '';
}

/** Fills every element carrying data-i18n (text) or data-i18n-placeholder / data-i18n-title (attributes). */
export function applyTo(root) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}
