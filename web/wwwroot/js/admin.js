// Administration (administrators only; the server refuses everyone else): users (list, create with a generated
// password shown once, change role / team / display name, disable, reset the password shown once, unlock), API tokens
// (list with scopes, last use and revocation, create with scopes showing the secret once with a copy button, revoke)
// the audit log (filter by user, action and date, table, CSV export), and the demo room's fault scenarios.
//
// Test hooks (only with the test flag, see testhooks.js): window.__admin = {
//   tab(): 'users'|'tokens'|'audit'|'simulator', loaded(): boolean (the tab's list answered since it was opened),
//   users(): [{ name, role, team, disabled, locked }], tokens(): [{ id, name, scopes, revoked }],
//   audit(): [{ id, user, action, target, outcome }], secret(): string|null (the secret or password on show, once),
//   csvHref(): string,
//   zones(): [{ zone, state, lastContact, backlogBytes, oldestUnsentSeconds, samplesDropped, gaps }] (the collectors tab)
// }
import { t, lang, addText } from './i18n.js';
import { el, api, itemsOf, formatDateTime } from './toolkit.js';
import { ROLES, roleName, currentUser } from './session.js';
import { expose } from './testhooks.js';
import { loadZones, collectorsView, zoneRows } from './collectors.js';

addText({
  zh: {
    'ad.tab.users': '用户', 'ad.tab.tokens': 'API 令牌', 'ad.tab.audit': '审计日志',
    'ad.u.name': '用户名', 'ad.u.displayName': '显示名', 'ad.u.role': '角色', 'ad.u.team': '班组', 'ad.u.state': '状态',
    'ad.u.lastSignIn': '最近登录', 'ad.u.disabled': '已停用', 'ad.u.active': '正常', 'ad.u.locked': '锁定至 {0}', 'ad.u.mustChange': '需改密码',
    'ad.u.create': '新建用户', 'ad.u.password': '初始密码（留空则自动生成）', 'ad.u.save': '保存', 'ad.u.reset': '重置密码', 'ad.u.unlock': '解锁',
    'ad.u.disable': '停用', 'ad.u.enable': '启用', 'ad.u.edit': '编辑', 'ad.u.cancel': '取消', 'ad.u.created': '已新建用户 {0}',
    'ad.u.saved': '已保存 {0}', 'ad.u.unlocked': '已解锁 {0}', 'ad.u.newPassword': '{0} 的密码（只显示这一次，请立即转交本人；首次登录须修改）：',
    'ad.u.noTeam': '（无）', 'ad.u.resetConfirm': '确定重置 {0} 的密码吗？',
    'ad.k.name': '名称', 'ad.k.scopes': '权限范围', 'ad.k.prefix': '前缀', 'ad.k.createdBy': '创建人', 'ad.k.createdAt': '创建时间',
    'ad.k.expiresAt': '过期时间', 'ad.k.lastUsedAt': '最近使用', 'ad.k.revokedAt': '已吊销', 'ad.k.create': '新建令牌', 'ad.k.expires': '有效天数（留空为不过期）',
    'ad.k.revoke': '吊销', 'ad.k.revokeConfirm': '确定吊销令牌 {0} 吗？使用它的集成将立即失效。', 'ad.k.secret': '令牌 {0} 的密钥（只显示这一次，请立即复制保存）：',
    'ad.k.copy': '复制', 'ad.k.copied': '已复制', 'ad.k.never': '从未', 'ad.k.active': '有效', 'ad.k.needScope': '请至少选择一个权限范围',
    'ad.k.scope.samples:write': '写入采样（行协议）', 'ad.k.scope.read': '只读', 'ad.k.scope.tickets': '工单', 'ad.k.scope.simulate': '模拟故障',
    'ad.tab.simulator': '故障模拟', 'ad.s.off': '模拟器未开启（--simulator false）：没有可模拟的演示机房。', 'ad.s.run': '触发',
    'ad.s.done': '已触发场景 {0}', 'ad.s.state': '市电：{0}；空调：{1}', 'ad.s.failed': '故障', 'ad.s.normal': '正常',
    'ad.s.hint': '演示机房的故障场景：触发后在三维机房、告警台和工单中观察效果。脚本可用带“模拟故障”权限的 API 令牌调用同一接口。',
    'ad.a.from': '从', 'ad.a.to': '到', 'ad.a.user': '用户', 'ad.a.action': '操作', 'ad.a.apply': '查询', 'ad.a.csv': '导出 CSV',
    'ad.a.at': '时间', 'ad.a.role': '角色', 'ad.a.address': '来源地址', 'ad.a.target': '对象', 'ad.a.detail': '详情', 'ad.a.outcome': '结果',
    'ad.a.empty': '没有符合条件的记录',
    'ad.empty': '暂无', 'ad.loading': '正在加载…', 'ad.failed': '操作失败：{0}', 'ad.dismiss': '我已保存',
  },
  en: {
    'ad.tab.users': 'Users', 'ad.tab.tokens': 'API tokens', 'ad.tab.audit': 'Audit log',
    'ad.u.name': 'Name', 'ad.u.displayName': 'Display name', 'ad.u.role': 'Role', 'ad.u.team': 'Team', 'ad.u.state': 'State',
    'ad.u.lastSignIn': 'Last sign-in', 'ad.u.disabled': 'Disabled', 'ad.u.active': 'Active', 'ad.u.locked': 'Locked until {0}', 'ad.u.mustChange': 'Must change password',
    'ad.u.create': 'Create user', 'ad.u.password': 'Initial password (empty: generated)', 'ad.u.save': 'Save', 'ad.u.reset': 'Reset password', 'ad.u.unlock': 'Unlock',
    'ad.u.disable': 'Disable', 'ad.u.enable': 'Enable', 'ad.u.edit': 'Edit', 'ad.u.cancel': 'Cancel', 'ad.u.created': 'User {0} created',
    'ad.u.saved': '{0} saved', 'ad.u.unlocked': '{0} unlocked', 'ad.u.newPassword': 'Password of {0} (shown this once: hand it over now; it must be changed at first sign-in):',
    'ad.u.noTeam': '(none)', 'ad.u.resetConfirm': 'Reset the password of {0}?',
    'ad.k.name': 'Name', 'ad.k.scopes': 'Scopes', 'ad.k.prefix': 'Prefix', 'ad.k.createdBy': 'Created by', 'ad.k.createdAt': 'Created',
    'ad.k.expiresAt': 'Expires', 'ad.k.lastUsedAt': 'Last used', 'ad.k.revokedAt': 'Revoked', 'ad.k.create': 'Create token', 'ad.k.expires': 'Valid for days (empty: no expiry)',
    'ad.k.revoke': 'Revoke', 'ad.k.revokeConfirm': 'Revoke token {0}? Integrations using it stop working at once.', 'ad.k.secret': 'Secret of token {0} (shown this once: copy it now):',
    'ad.k.copy': 'Copy', 'ad.k.copied': 'Copied', 'ad.k.never': 'never', 'ad.k.active': 'active', 'ad.k.needScope': 'Pick at least one scope',
    'ad.k.scope.samples:write': 'Write samples (line protocol)', 'ad.k.scope.read': 'Read', 'ad.k.scope.tickets': 'Tickets', 'ad.k.scope.simulate': 'Simulate faults',
    'ad.tab.simulator': 'Simulator', 'ad.s.off': 'The simulator is off (--simulator false): there is no demo room to script.', 'ad.s.run': 'Run',
    'ad.s.done': 'Scenario {0} started', 'ad.s.state': 'Mains: {0}; cooling: {1}', 'ad.s.failed': 'failed', 'ad.s.normal': 'normal',
    'ad.s.hint': 'Fault scenarios of the demo room: run one and watch the 3D room, the alarm console and the tickets. Scripts call the same endpoint with an API token that has the "simulate" scope.',
    'ad.a.from': 'From', 'ad.a.to': 'To', 'ad.a.user': 'User', 'ad.a.action': 'Action', 'ad.a.apply': 'Show', 'ad.a.csv': 'Export CSV',
    'ad.a.at': 'Time', 'ad.a.role': 'Role', 'ad.a.address': 'Address', 'ad.a.target': 'Target', 'ad.a.detail': 'Detail', 'ad.a.outcome': 'Outcome',
    'ad.a.empty': 'No entry matches',
    'ad.empty': 'None', 'ad.loading': 'Loading…', 'ad.failed': 'Failed: {0}', 'ad.dismiss': 'I have saved it',
  },
});

const TABS = ['users', 'tokens', 'audit', 'simulator', 'collectors'];
const SCOPES = ['samples:write', 'read', 'tickets', 'simulate', 'collector'];

const admin = {
  root: null,
  tab: 'users',
  loaded: false,
  generation: 0,
  users: [],
  tokens: [],
  audit: [],
  simulator: null, // GET /api/simulator: { enabled, mainsFailed, coolingFailed, scenarios }
  zones: null, // /healthz components.collectors.zones (collectors.js)
  teams: [],
  editing: null, // user name whose row is being edited
  secret: null, // { title, value } shown once
  status: { text: '', error: false },
  filter: { user: '', action: '', from: '', to: '', limit: '200' },
};

const fill = (text, ...args) => args.reduce((s, a, i) => s.replaceAll(`{${i}}`, String(a)), text);

function say(text, error = false) {
  admin.status = { text, error };
  const box = admin.root?.querySelector('#ad-status');
  if (box) {
    box.textContent = text;
    box.className = `ad-status${error ? ' error' : text ? ' ok' : ''}`;
  }
}

const failed = (error) => say(fill(t('ad.failed'), error.message), true);

/** Called by the view switcher (tickets.js) whenever the admin view is shown or the language changes. */
export function show(root) {
  admin.root = root;
  if (!admin.teamsLoaded) {
    admin.teamsLoaded = true;
    api.get('/api/teams').then((teams) => {
      admin.teams = itemsOf(teams);
      render();
    }).catch((error) => console.warn('teams', error));
  }
  render();
  load();
}

async function load() {
  const generation = ++admin.generation;
  admin.loaded = false;
  try {
    if (admin.tab === 'users') {
      const users = await api.get('/api/users');
      if (generation !== admin.generation) return;
      admin.users = itemsOf(users);
    } else if (admin.tab === 'tokens') {
      const tokens = await api.get('/api/tokens');
      if (generation !== admin.generation) return;
      admin.tokens = itemsOf(tokens);
    } else if (admin.tab === 'collectors') {
      const zones = await loadZones();
      if (generation !== admin.generation) return;
      admin.zones = zones;
    } else if (admin.tab === 'simulator') {
      const state = await api.get('/api/simulator');
      if (generation !== admin.generation) return;
      admin.simulator = state;
    } else {
      const entries = await api.get(`/api/audit?${auditQuery()}`);
      if (generation !== admin.generation) return;
      admin.audit = itemsOf(entries);
    }
  } catch (error) {
    if (generation !== admin.generation) return;
    failed(error);
  }
  admin.loaded = true;
  render();
}

function switchTab(tab) {
  if (admin.tab === tab) return;
  admin.tab = tab;
  admin.secret = null;
  admin.editing = null;
  say('');
  render();
  load();
}

function render() {
  const root = admin.root;
  if (!root) return;
  const tabs = el('div', { class: 'tk-tabs ad-tabs', id: 'ad-tabs' }, ...TABS.map((tab) =>
    el('button', { type: 'button', class: `btn tk-tab${tab === admin.tab ? ' active' : ''}`, 'data-tab': tab, onclick: () => switchTab(tab) }, t(`ad.tab.${tab}`))));
  const status = el('div', { class: `ad-status${admin.status.error ? ' error' : admin.status.text ? ' ok' : ''}`, id: 'ad-status', role: 'status' }, admin.status.text);
  const body = admin.tab === 'users' ? usersView() : admin.tab === 'tokens' ? tokensView() : admin.tab === 'simulator' ? simulatorView()
    : admin.tab === 'collectors' ? collectorsView(admin.zones, t('ad.loading')) : auditView();
  root.replaceChildren(el('div', { class: 'ad-view' }, tabs, secretView(), status, body));
}

// ---------- the secret shown once ----------

function secretView() {
  if (!admin.secret) return null;
  const value = el('code', { class: 'ad-secret-value', id: 'ad-secret-value' }, admin.secret.value);
  const copy = el('button', {
    type: 'button', class: 'btn', id: 'ad-secret-copy',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(admin.secret.value);
        copy.textContent = t('ad.k.copied');
      } catch {
        // no clipboard permission: select the text so Ctrl+C copies it
        const range = document.createRange();
        range.selectNodeContents(value);
        const selection = getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    },
  }, t('ad.k.copy'));
  return el('div', { class: 'ad-secret', id: 'ad-secret' },
    el('div', {}, admin.secret.title),
    el('div', { class: 'ad-secret-row' }, value, copy,
      el('button', { type: 'button', class: 'btn', id: 'ad-secret-dismiss', onclick: () => { admin.secret = null; render(); } }, t('ad.dismiss'))));
}

function showSecretOnce(title, value) {
  admin.secret = value ? { title, value } : null;
}

// ---------- users ----------

const teamName = (id) => {
  const team = admin.teams.find((x) => x.id === id);
  return team ? (lang() === 'en' ? team.nameEn ?? team.name : team.name) ?? id : id;
};

function roleSelect(name, value) {
  const select = el('select', { name }, ...ROLES.map((role) => el('option', { value: role, selected: role === value }, roleName(role))));
  select.value = value ?? 'viewer';
  return select;
}

function teamSelect(name, value) {
  const ids = admin.teams.map((x) => x.id);
  if (value && !ids.includes(value)) ids.push(value);
  const select = el('select', { name }, el('option', { value: '' }, t('ad.u.noTeam')), ...ids.map((id) => el('option', { value: id, selected: id === value }, teamName(id))));
  select.value = value ?? '';
  return select;
}

const isLocked = (user) => user.lockedUntil != null && Date.parse(user.lockedUntil) > Date.now();

function userState(user) {
  const parts = [];
  parts.push(user.disabled ? t('ad.u.disabled') : t('ad.u.active'));
  if (isLocked(user)) parts.push(fill(t('ad.u.locked'), formatDateTime(user.lockedUntil)));
  if (user.mustChangePassword) parts.push(t('ad.u.mustChange'));
  return parts.join(' · ');
}

function usersView() {
  const name = el('input', { type: 'text', name: 'name', required: true, maxLength: 100, autocomplete: 'off' });
  const displayName = el('input', { type: 'text', name: 'displayName', maxLength: 100, autocomplete: 'off' });
  const role = roleSelect('role', 'operator');
  const team = teamSelect('team', '');
  const password = el('input', { type: 'password', name: 'password', autocomplete: 'new-password', minLength: 10 });
  const form = el('form', { class: 'ad-form', id: 'ad-user-create', autocomplete: 'off' },
    el('label', {}, el('span', {}, t('ad.u.name')), name),
    el('label', {}, el('span', {}, t('ad.u.displayName')), displayName),
    el('label', {}, el('span', {}, t('ad.u.role')), role),
    el('label', {}, el('span', {}, t('ad.u.team')), team),
    el('label', {}, el('span', {}, t('ad.u.password')), password),
    el('button', { type: 'submit', class: 'btn primary' }, t('ad.u.create')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), role: role.value };
    if (displayName.value.trim()) body.displayName = displayName.value.trim();
    if (team.value) body.team = team.value;
    if (password.value) body.password = password.value;
    try {
      const created = await api.post('/api/users', body);
      const user = created?.user ?? created;
      showSecretOnce(fill(t('ad.u.newPassword'), user?.name ?? body.name), created?.password ?? null);
      say(fill(t('ad.u.created'), user?.name ?? body.name));
      await load();
    } catch (error) {
      failed(error);
    }
  });
  const rows = admin.users.map((user) => (admin.editing === user.name ? editRow(user) : userRow(user)));
  const table = !admin.loaded && admin.users.length === 0
    ? el('div', { class: 'muted pad' }, t('ad.loading'))
    : el('table', { class: 'tk-table ad-table', id: 'ad-users' },
      el('thead', {}, el('tr', {}, ...['name', 'displayName', 'role', 'team', 'state', 'lastSignIn'].map((c) => el('th', {}, t(`ad.u.${c}`))), el('th', {}))),
      el('tbody', {}, ...rows));
  return el('div', { class: 'ad-section' }, form, table);
}

function userRow(user) {
  const me = currentUser()?.name === user.name;
  const actions = el('td', { class: 'ad-actions' },
    el('button', { type: 'button', class: 'btn', 'data-action': 'edit', onclick: () => { admin.editing = user.name; render(); } }, t('ad.u.edit')),
    el('button', { type: 'button', class: 'btn', 'data-action': 'reset', onclick: () => resetPassword(user) }, t('ad.u.reset')),
    isLocked(user) ? el('button', { type: 'button', class: 'btn', 'data-action': 'unlock', onclick: () => unlock(user) }, t('ad.u.unlock')) : null,
    me ? null : el('button', {
      type: 'button', class: 'btn', 'data-action': user.disabled ? 'enable' : 'disable',
      onclick: () => saveUser(user, { disabled: !user.disabled }),
    }, user.disabled ? t('ad.u.enable') : t('ad.u.disable')));
  return el('tr', { 'data-user': user.name, class: user.disabled ? 'ad-disabled' : '' },
    el('td', { class: 'num' }, user.name),
    el('td', {}, user.displayName ?? ''),
    el('td', { 'data-role': user.role }, roleName(user.role)),
    el('td', {}, user.team ? teamName(user.team) : '—'),
    el('td', {}, userState(user)),
    el('td', { class: 'muted' }, user.lastSignInAt ? formatDateTime(user.lastSignInAt) : t('ad.k.never')),
    actions);
}

function editRow(user) {
  const displayName = el('input', { type: 'text', name: 'displayName', value: user.displayName ?? '', maxLength: 100 });
  const role = roleSelect('role', user.role);
  const team = teamSelect('team', user.team ?? '');
  return el('tr', { 'data-user': user.name, class: 'ad-editing' },
    el('td', { class: 'num' }, user.name),
    el('td', {}, displayName),
    el('td', {}, role),
    el('td', {}, team),
    el('td', {}, userState(user)),
    el('td', {}),
    el('td', { class: 'ad-actions' },
      el('button', {
        type: 'button', class: 'btn primary', 'data-action': 'save',
        onclick: () => saveUser(user, { displayName: displayName.value.trim(), role: role.value, team: team.value || null }),
      }, t('ad.u.save')),
      el('button', { type: 'button', class: 'btn', 'data-action': 'cancel', onclick: () => { admin.editing = null; render(); } }, t('ad.u.cancel'))));
}

async function saveUser(user, changes) {
  try {
    await api.put(`/api/users/${encodeURIComponent(user.name)}`, changes);
    admin.editing = null;
    say(fill(t('ad.u.saved'), user.name));
    await load();
  } catch (error) {
    failed(error);
  }
}

async function resetPassword(user) {
  if (!window.confirm(fill(t('ad.u.resetConfirm'), user.name))) return;
  try {
    const answer = await api.post(`/api/users/${encodeURIComponent(user.name)}/reset`, {});
    showSecretOnce(fill(t('ad.u.newPassword'), user.name), answer?.password ?? null);
    say('');
    await load();
  } catch (error) {
    failed(error);
  }
}

async function unlock(user) {
  try {
    await api.post(`/api/users/${encodeURIComponent(user.name)}/unlock`, {});
    say(fill(t('ad.u.unlocked'), user.name));
    await load();
  } catch (error) {
    failed(error);
  }
}

// ---------- API tokens ----------

function tokensView() {
  const name = el('input', { type: 'text', name: 'name', required: true, maxLength: 100, autocomplete: 'off' });
  const scopes = SCOPES.map((scope) => el('input', { type: 'checkbox', name: 'scope', value: scope, checked: scope === 'samples:write' }));
  const days = el('input', { type: 'number', name: 'expiresInDays', min: 1, step: 1 });
  const zone = el('input', { type: 'text', name: 'zone', maxLength: 64, autocomplete: 'off' });
  const form = el('form', { class: 'ad-form', id: 'ad-token-create', autocomplete: 'off' },
    el('label', {}, el('span', {}, t('ad.k.name')), name),
    el('fieldset', { class: 'ad-scopes' }, el('legend', {}, t('ad.k.scopes')),
      ...scopes.map((box) => el('label', { class: 'check' }, box, t(`ad.k.scope.${box.value}`)))),
    el('label', {}, el('span', {}, t('ad.k.expires')), days),
    el('label', {}, el('span', {}, t('ad.k.zone')), zone),
    el('button', { type: 'submit', class: 'btn primary' }, t('ad.k.create')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = scopes.filter((box) => box.checked).map((box) => box.value);
    if (chosen.length === 0) {
      say(t('ad.k.needScope'), true);
      return;
    }
    const body = { name: name.value.trim(), scopes: chosen };
    if (days.value) body.expiresInDays = Number(days.value);
    if (chosen.includes('collector')) {
      if (!zone.value.trim()) {
        say(t('ad.k.needZone'), true);
        return;
      }
      body.zone = zone.value.trim();
    }
    try {
      const created = await api.post('/api/tokens', body);
      showSecretOnce(fill(t('ad.k.secret'), created?.token?.name ?? body.name), created?.secret ?? null);
      say('');
      await load();
    } catch (error) {
      failed(error);
    }
  });
  const dash = (value) => (value ? formatDateTime(value) : '—');
  const table = !admin.loaded && admin.tokens.length === 0
    ? el('div', { class: 'muted pad' }, t('ad.loading'))
    : el('table', { class: 'tk-table ad-table', id: 'ad-tokens' },
      el('thead', {}, el('tr', {}, ...['name', 'scopes', 'prefix', 'createdBy', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'].map((c) => el('th', {}, t(`ad.k.${c}`))), el('th', {}))),
      el('tbody', {}, ...admin.tokens.map((token) => el('tr', { 'data-token': String(token.id), class: token.revokedAt ? 'ad-revoked' : '' },
        el('td', {}, token.name ?? ''),
        el('td', {}, ...(token.scopes ?? []).map((scope) => el('span', { class: 'chip', 'data-scope': scope }, scope)),
          token.zone ? el('span', { class: 'chip', 'data-zone': token.zone }, `${t('co.zone')}: ${token.zone}`) : null),
        el('td', { class: 'num' }, token.prefix ?? ''),
        el('td', {}, token.createdBy ?? ''),
        el('td', { class: 'muted' }, dash(token.createdAt)),
        el('td', { class: 'muted' }, dash(token.expiresAt)),
        el('td', { class: 'muted' }, token.lastUsedAt ? formatDateTime(token.lastUsedAt) : t('ad.k.never')),
        el('td', { class: 'muted', 'data-revoked': token.revokedAt ? 'true' : 'false' }, token.revokedAt ? formatDateTime(token.revokedAt) : t('ad.k.active')),
        el('td', { class: 'ad-actions' }, token.revokedAt ? null
          : el('button', { type: 'button', class: 'btn', 'data-action': 'revoke', onclick: () => revoke(token) }, t('ad.k.revoke')))))));
  return el('div', { class: 'ad-section' }, form, table);
}

async function revoke(token) {
  if (!window.confirm(fill(t('ad.k.revokeConfirm'), token.name ?? token.id))) return;
  try {
    await api.delete(`/api/tokens/${encodeURIComponent(token.id)}`);
    if (admin.secret) admin.secret = null;
    say('');
    await load();
  } catch (error) {
    failed(error);
  }
}

// ---------- audit log ----------

/** The filter as a query; a date filter takes the whole day(s) in local time. */
function auditQuery(format) {
  const f = admin.filter;
  const q = new URLSearchParams();
  if (f.from) q.set('from', new Date(`${f.from}T00:00:00`).toISOString());
  if (f.to) {
    const end = new Date(`${f.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    q.set('to', end.toISOString());
  }
  if (f.user.trim()) q.set('user', f.user.trim());
  if (f.action.trim()) q.set('action', f.action.trim());
  if (format) q.set('format', format);
  else if (f.limit) q.set('limit', f.limit);
  return q;
}

const csvHref = () => `/api/audit?${auditQuery('csv')}`;

function auditView() {
  const f = admin.filter;
  const input = (key, type) => el('input', { type, name: key, value: f[key], oninput: (e) => { f[key] = e.target.value; refreshCsv(); } });
  const form = el('form', { class: 'ad-form', id: 'ad-audit-filter' },
    el('label', {}, el('span', {}, t('ad.a.user')), input('user', 'text')),
    el('label', {}, el('span', {}, t('ad.a.action')), input('action', 'text')),
    el('label', {}, el('span', {}, t('ad.a.from')), input('from', 'date')),
    el('label', {}, el('span', {}, t('ad.a.to')), input('to', 'date')),
    el('button', { type: 'submit', class: 'btn primary' }, t('ad.a.apply')),
    el('a', { class: 'btn', id: 'ad-audit-csv', href: csvHref(), download: 'audit.csv' }, `⤓ ${t('ad.a.csv')}`));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  const columns = ['at', 'user', 'role', 'address', 'action', 'target', 'detail', 'outcome'];
  let table;
  if (!admin.loaded && admin.audit.length === 0) table = el('div', { class: 'muted pad' }, t('ad.loading'));
  else if (admin.audit.length === 0) table = el('div', { class: 'muted pad', id: 'ad-audit-empty' }, t('ad.a.empty'));
  else {
    table = el('div', { class: 'tk-table-wrap' }, el('table', { class: 'tk-table ad-table', id: 'ad-audit' },
      el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, t(`ad.a.${c}`))))),
      el('tbody', {}, ...admin.audit.map((entry) => el('tr', { 'data-id': String(entry.id), 'data-action': entry.action ?? '', 'data-outcome': entry.outcome ?? '' },
        el('td', { class: 'muted' }, formatDateTime(entry.at)),
        el('td', {}, entry.user ?? ''),
        el('td', {}, entry.role ? roleName(entry.role) : ''),
        el('td', { class: 'muted' }, entry.address ?? ''),
        el('td', {}, entry.action ?? ''),
        el('td', {}, entry.target ?? ''),
        el('td', { class: 'muted' }, typeof entry.detail === 'string' ? entry.detail : entry.detail == null ? '' : JSON.stringify(entry.detail)),
        el('td', {}, entry.outcome ?? ''))))));
  }
  return el('div', { class: 'ad-section' }, form, table);
}

// ---------- the demo room's fault scenarios ----------

function simulatorView() {
  const state = admin.simulator;
  if (!state) return el('div', { class: 'muted pad' }, t('ad.loading'));
  if (!state.enabled) return el('div', { class: 'muted pad', id: 'ad-sim-off' }, t('ad.s.off'));
  const word = (failed) => t(failed ? 'ad.s.failed' : 'ad.s.normal');
  return el('div', { class: 'ad-section', id: 'ad-simulator' },
    el('p', { class: 'muted' }, t('ad.s.hint')),
    el('p', { id: 'ad-sim-state' }, fill(t('ad.s.state'), word(state.mainsFailed), word(state.coolingFailed))),
    el('div', { class: 'ad-actions ad-scenarios' }, ...(state.scenarios ?? []).map((name) =>
      el('button', { type: 'button', class: 'btn', 'data-scenario': name, onclick: () => runScenario(name) }, `${t('ad.s.run')} ${name}`))));
}

async function runScenario(name) {
  try {
    await api.post(`/api/simulator/scenarios/${encodeURIComponent(name)}`, {});
    say(fill(t('ad.s.done'), name));
    await load();
  } catch (error) {
    failed(error);
  }
}

function refreshCsv() {
  const link = admin.root?.querySelector('#ad-audit-csv');
  if (link) link.href = csvHref();
}

expose('__admin', {
  tab: () => admin.tab,
  loaded: () => admin.loaded,
  users: () => admin.users.map((u) => ({ name: u.name, role: u.role, team: u.team ?? null, disabled: !!u.disabled, locked: isLocked(u) })),
  tokens: () => admin.tokens.map((k) => ({ id: k.id, name: k.name, scopes: k.scopes ?? [], revoked: !!k.revokedAt })),
  audit: () => admin.audit.map((a) => ({ id: a.id, user: a.user, action: a.action, target: a.target, outcome: a.outcome })),
  secret: () => admin.secret?.value ?? null,
  simulator: () => admin.simulator,
  zones: () => zoneRows(admin.zones),
  csvHref,
});
