// The drill panel of a training session's console (branch "drillrun"): everyone in the session sees the drill's name
// and its drill clock; an instructor (capability runDrills) also gets the controls: pick a drill, start, pause/resume,
// speed 1x/2x/5x/10x, reset (confirmed by a second click) and a live injection (a scenario, or a port down).
// State: GET /api/training/drill, then the hub's "drill" messages (the same JSON); the clock runs on between them.
import { api, can } from './session.js';
import { t, lang, addText, onLanguageChange } from './i18n.js';
import { loadTrainingContext } from './training-context.js';

// ---------- branch "drillrun" ----------
addText({
  zh: {
    'drill.title': '演练', 'drill.none': '未开始演练', 'drill.pick': '选择演练', 'drill.start': '开始', 'drill.pause': '暂停',
    'drill.resume': '继续', 'drill.reset': '重置', 'drill.resetConfirm': '确认重置？', 'drill.speed': '速度',
    'drill.inject': '注入', 'drill.injectWhat': '注入故障', 'drill.portDown': '端口中断（设备:端口）',
    'drill.status.idle': '空闲', 'drill.status.running': '进行中', 'drill.status.paused': '已暂停', 'drill.status.finished': '已结束',
    'drill.failures': '{n} 次注入失败', 'drill.error': '操作失败：{text}',
  },
  en: {
    'drill.title': 'Drill', 'drill.none': 'No drill started', 'drill.pick': 'Pick a drill', 'drill.start': 'Start', 'drill.pause': 'Pause',
    'drill.resume': 'Resume', 'drill.reset': 'Reset', 'drill.resetConfirm': 'Really reset?', 'drill.speed': 'Speed',
    'drill.inject': 'Inject', 'drill.injectWhat': 'Inject a fault', 'drill.portDown': 'Port down (device:port)',
    'drill.status.idle': 'idle', 'drill.status.running': 'running', 'drill.status.paused': 'paused', 'drill.status.finished': 'finished',
    'drill.failures': '{n} injections failed', 'drill.error': 'Failed: {text}',
  },
});

const SPEEDS = [1, 2, 5, 10];
const PORT_DOWN = '@port-down';

let current = null;
let receivedAt = 0;
let panel = null;
let timer = null;

/** Drill time now in seconds: the server's, run on locally at its speed while running. */
export function drillSecondsNow(state = current) {
  if (!state || state.drillSeconds == null) return null;
  if (state.status !== 'running') return state.drillSeconds;
  return state.drillSeconds + ((performance.now() - receivedAt) / 1000) * state.speed;
}

function clockText(seconds) {
  if (seconds == null) return '--:--';
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor(s / 60)).padStart(2, '0');
  return `${mm}:${String(s % 60).padStart(2, '0')}`;
}

function el(tag, attributes = {}, text = '') {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function show(state) {
  if (!state) return;
  // a command's answer can overtake the hub message of an earlier change: never go back to an older state
  if (current?.at && state.at && Date.parse(state.at) < Date.parse(current.at)) return;
  current = state;
  receivedAt = performance.now();
  render();
}

async function command(path, body) {
  const error = panel.querySelector('.drill-error');
  error.textContent = '';
  try {
    // api() encodes the body as JSON itself (a string here would arrive as a JSON string, not an object)
    const answer = await api(`/api/training/drill/${path}`, { method: 'POST', body: body ?? {} });
    show(answer?.state ?? answer);
  } catch (e) {
    error.textContent = t('drill.error').replace('{text}', e.message);
  }
}

function render() {
  if (!panel) return;
  const state = current ?? { status: 'idle', speed: 1 };
  panel.dataset.status = state.status;
  const name = state.drillId ? (lang() === 'en' ? state.nameEn : state.name) : t('drill.none');
  panel.querySelector('.drill-name').textContent = name;
  panel.querySelector('.drill-status').textContent = t(`drill.status.${state.status}`);
  panel.querySelector('.drill-clock').textContent = clockText(drillSecondsNow(state));
  const failures = panel.querySelector('.drill-failures');
  failures.textContent = state.failures > 0 ? t('drill.failures').replace('{n}', String(state.failures)) : '';
  const controls = panel.querySelector('.drill-controls');
  if (!controls) return;
  const running = state.status === 'running' || state.status === 'paused';
  controls.querySelector('[data-drill="start"]').disabled = running;
  controls.querySelector('[data-drill="pick"]').disabled = running;
  const pause = controls.querySelector('[data-drill="pause"]');
  pause.disabled = !running;
  pause.textContent = state.status === 'paused' ? t('drill.resume') : t('drill.pause');
  for (const button of controls.querySelectorAll('[data-speed]')) {
    button.setAttribute('aria-pressed', String(Number(button.dataset.speed) === state.speed));
  }
}

function buildControls(drills, scenarios) {
  const controls = el('div', { class: 'drill-controls' });
  const pick = el('select', { 'data-drill': 'pick', 'aria-label': t('drill.pick') });
  for (const drill of drills) {
    const option = el('option', { value: drill.id }, lang() === 'en' ? drill.nameEn : drill.name);
    pick.append(option);
  }
  const start = el('button', { type: 'button', 'data-drill': 'start' }, t('drill.start'));
  start.addEventListener('click', () => command('start', { drillId: pick.value, speed: current?.speed ?? 1 }));
  const pause = el('button', { type: 'button', 'data-drill': 'pause' }, t('drill.pause'));
  pause.addEventListener('click', () => command(current?.status === 'paused' ? 'resume' : 'pause'));
  const speeds = el('span', { class: 'drill-speeds', role: 'group', 'aria-label': t('drill.speed') });
  for (const speed of SPEEDS) {
    const button = el('button', { type: 'button', 'data-speed': String(speed) }, `${speed}x`);
    button.addEventListener('click', () => {
      if (current?.status === 'running' || current?.status === 'paused') command('speed', { speed });
      else show({ ...(current ?? { status: 'idle' }), speed });
    });
    speeds.append(button);
  }
  const reset = el('button', { type: 'button', 'data-drill': 'reset' }, t('drill.reset'));
  reset.addEventListener('click', () => {
    if (reset.dataset.confirm !== 'true') {
      reset.dataset.confirm = 'true';
      reset.textContent = t('drill.resetConfirm');
      return;
    }
    reset.dataset.confirm = 'false';
    reset.textContent = t('drill.reset');
    command('reset');
  });
  const what = el('select', { 'data-drill': 'inject-what', 'aria-label': t('drill.injectWhat') });
  for (const scenario of scenarios) what.append(el('option', { value: scenario }, scenario));
  what.append(el('option', { value: PORT_DOWN }, t('drill.portDown')));
  const target = el('input', { type: 'text', 'data-drill': 'inject-port', placeholder: 'asw-a02:14', size: '12' });
  const inject = el('button', { type: 'button', 'data-drill': 'inject' }, t('drill.inject'));
  inject.addEventListener('click', () => {
    if (what.value !== PORT_DOWN) {
      command('inject', { scenario: what.value });
      return;
    }
    const [device, port] = target.value.trim().split(':');
    command('inject', { step: { kind: 'port-down', device, port: Number(port) } });
  });
  controls.append(pick, start, pause, speeds, reset, what, target, inject);
  return controls;
}

/** Shows the drill panel in a training session's console; nothing on the live room. */
export async function initTrainingDrill(hub) {
  const session = await loadTrainingContext();
  if (!session || session.kind === 'replay') return;
  panel = el('section', { id: 'drill-panel', class: 'drill-panel', 'aria-label': t('drill.title') });
  const head = el('div', { class: 'drill-head' });
  head.append(el('strong', { class: 'drill-label' }, t('drill.title')), el('span', { class: 'drill-name' }),
    el('span', { class: 'drill-status' }), el('span', { class: 'drill-clock', 'data-drill': 'clock' }));
  panel.append(head, el('div', { class: 'drill-failures' }), el('div', { class: 'drill-error', role: 'alert' }));
  if (can('runDrills')) {
    const [drills, simulator] = await Promise.all([
      api('/api/training/drills').catch(() => []),
      api('/api/simulator').catch(() => ({ scenarios: [] })),
    ]);
    panel.insertBefore(buildControls(drills ?? [], simulator?.scenarios ?? []), panel.querySelector('.drill-failures'));
  }
  document.body.append(panel);
  hub?.on('drill', show);
  try {
    show(await api('/api/training/drill'));
  } catch (e) {
    console.warn('drill', e);
  }
  timer ??= setInterval(() => {
    if (current?.status === 'running') panel.querySelector('.drill-clock').textContent = clockText(drillSecondsNow());
  }, 250);
  onLanguageChange(render);
}
