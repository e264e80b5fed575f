// branch "sessions" (issue 21): on the live host, the "Training" list of one's sessions with links to each session's
// console (a trainee sees the sessions they are invited to; an instructor all of them), and for an instructor a small
// form to create a session (room, drill, trainees, mirror live state) and a button to end one.
import { api, can } from './session.js';
import { t, addText, onLanguageChange } from './i18n.js';
import { loadTrainingContext } from './training-context.js';

addText({
  zh: {
    'ts.title': '培训',
    'ts.none': '暂无培训会话',
    'ts.open': '进入',
    'ts.end': '结束',
    'ts.endConfirm': '结束此培训会话并删除其数据？',
    'ts.create': '新建培训会话',
    'ts.name': '名称',
    'ts.room': '机房',
    'ts.drill': '演练',
    'ts.noDrill': '（无，自由练习）',
    'ts.trainees': '学员（用户名，逗号分隔）',
    'ts.mirror': '复制现网状态',
    'ts.submit': '创建',
    'ts.state.running': '运行中',
    'ts.state.starting': '启动中',
    'ts.state.resetting': '重置中',
    'ts.state.failed': '失败',
  },
  en: {
    'ts.title': 'Training',
    'ts.none': 'No training sessions',
    'ts.open': 'Open',
    'ts.end': 'End',
    'ts.endConfirm': 'End this training session and delete its data?',
    'ts.create': 'New training session',
    'ts.name': 'Name',
    'ts.room': 'Room',
    'ts.drill': 'Drill',
    'ts.noDrill': '(none, free practice)',
    'ts.trainees': 'Trainees (user names, comma separated)',
    'ts.mirror': 'Mirror live state',
    'ts.submit': 'Create',
    'ts.state.running': 'running',
    'ts.state.starting': 'starting',
    'ts.state.resetting': 'resetting',
    'ts.state.failed': 'failed',
  },
});

let panel = null;
let open = false;

function node(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else element.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child != null) element.append(child);
  return element;
}

/** A session's console address on the name this page was loaded from (cookies are per host name, not per port). */
function sessionUrl(session) {
  if (!session.url) return null;
  const url = new URL(session.url);
  url.hostname = window.location.hostname;
  return url.toString();
}

async function render() {
  const sessions = await api('/api/training/sessions').catch(() => []);
  const list = node('ul', { id: 'training-session-list' });
  if (sessions.length === 0) list.append(node('li', {}, t('ts.none')));
  for (const s of sessions) {
    const href = sessionUrl(s);
    list.append(node('li', { 'data-session': s.id },
      href ? node('a', { href, 'data-session-link': s.id }, `${s.name} (${s.roomId})`) : `${s.name} (${s.roomId})`,
      node('span', {}, t(`ts.state.${s.state}`)),
      can('runDrills') ? node('button', { type: 'button', onclick: () => end(s.id) }, t('ts.end')) : null));
  }
  const details = node('details', { open: open || null, ontoggle: (e) => { open = e.target.open; } },
    node('summary', {}, `${t('ts.title')} (${sessions.length})`), list,
    can('runDrills') ? await createForm() : null);
  panel.replaceChildren(details);
}

async function createForm() {
  const [rooms, drills] = await Promise.all([api('/api/rooms').catch(() => []), api('/api/training/drills').catch(() => [])]);
  const error = node('div', { class: 'training-error', role: 'alert' });
  const room = node('select', { name: 'roomId' }, rooms.map((r) => node('option', { value: r.id }, r.nameEn ?? r.name ?? r.id)));
  const drill = node('select', { name: 'drillId' }, node('option', { value: '' }, t('ts.noDrill')),
    drills.map((d) => node('option', { value: d.id, 'data-room': d.roomId }, d.nameEn ?? d.name)));
  const form = node('form', { id: 'training-create' },
    node('strong', {}, t('ts.create')),
    node('label', {}, t('ts.name'), node('input', { name: 'name', required: true, maxlength: '80' })),
    node('label', {}, t('ts.room'), room),
    node('label', {}, t('ts.drill'), drill),
    node('label', {}, t('ts.trainees'), node('input', { name: 'trainees' })),
    node('label', {}, node('input', { type: 'checkbox', name: 'mirrorLive' }), t('ts.mirror')),
    node('button', { type: 'submit' }, t('ts.submit')),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const drillId = data.get('drillId') || null;
    const roomId = drillId ? drills.find((d) => d.id === drillId)?.roomId ?? data.get('roomId') : data.get('roomId');
    try {
      await api('/api/training/sessions', {
        method: 'POST',
        body: {
          name: data.get('name'), roomId, drillId, kind: 'drill', mirrorLive: data.get('mirrorLive') === 'on',
          trainees: String(data.get('trainees') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
        },
      });
      open = true;
      await render();
    } catch (e) {
      error.textContent = e.message;
    }
  });
  return form;
}

async function end(id) {
  if (!window.confirm(t('ts.endConfirm'))) return;
  await api(`/api/training/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch(() => {});
  await render();
}

/**
 * On the live host, for who may train (trainees, instructors, duty leads, administrators): the Training panel.
 * `expanded`: open at once (a trainee, who has no live room to look at).
 */
export async function initTrainingSessions({ expanded = false } = {}) {
  if (!can('train') || (await loadTrainingContext()) !== null || panel) return;
  open = expanded;
  panel = node('div', { id: 'training-sessions' });
  document.body.append(panel);
  await render();
  onLanguageChange(() => { render().catch(() => {}); });
}
