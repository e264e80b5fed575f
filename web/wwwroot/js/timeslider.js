// The time slider (branch "replay", issue 21): the room as it was at an instant of its recorded past, read-only.
//
// On the live console a "History" button opens a slider over the last hours: dragging it paints the 3D room with the
// statuses of that instant (GET /api/replay/rooms/{id}/at) and lists the alarms as they stood then and the ticket
// steps; play steps through the window at 1x/10x/60x from GET .../changes (the room at the start, then every status
// change, alarm event and ticket step in order), without asking for each instant. Nothing can be acknowledged while
// it is open (body.history-mode hides the live alarm banner and list); "Back to live" repaints the live statuses.
//
// In a replay training session the slider is always open over the session's window and follows the session's clock
// (hub message "replay"); only the instructor (runDrills) moves it, through /api/training/replay; trainees watch.
//
// Test hooks: window.__replay = { active(), position(), locked(), playing(), speed(), alarms(), steps(), loads(), settled() }
import { t, addText, onLanguageChange } from './i18n.js';
import { api, can } from './session.js';
import { expose } from './testhooks.js';
import { loadTrainingContext } from './training-context.js';

// i18n block "replay"
addText({
  zh: {
    'replay.toggle': '历史', 'replay.toggleTitle': '回看机房过去某一时刻的状态（只读）', 'replay.badge': '历史回看',
    'replay.live': '返回实时', 'replay.play': '播放', 'replay.pause': '暂停', 'replay.span': '范围',
    'replay.alarms': '当时的告警', 'replay.steps': '工单步骤', 'replay.none': '无',
    'replay.readOnly': '只读：回看时不能确认或处理告警', 'replay.locked': '回放由教员控制', 'replay.failed': '无法读取历史',
    'replay.hours': '{n} 小时',
    'replay.state.raised': '未确认', 'replay.state.acknowledged': '已确认', 'replay.state.cleared': '已恢复', 'replay.state.closed': '已关闭',
  },
  en: {
    'replay.toggle': 'History', 'replay.toggleTitle': 'See the room as it was at a past instant (read-only)', 'replay.badge': 'HISTORY',
    'replay.live': 'Back to live', 'replay.play': 'Play', 'replay.pause': 'Pause', 'replay.span': 'Span',
    'replay.alarms': 'Alarms then', 'replay.steps': 'Ticket steps', 'replay.none': 'None',
    'replay.readOnly': 'Read-only: nothing can be acknowledged while looking back', 'replay.locked': 'The instructor controls the replay', 'replay.failed': 'Could not read the history',
    'replay.hours': '{n} h',
    'replay.state.raised': 'raised', 'replay.state.acknowledged': 'acknowledged', 'replay.state.cleared': 'cleared', 'replay.state.closed': 'closed',
  },
});

const SPEEDS = [1, 10, 60];
const SPANS = [1, 6, 24];
const CHUNK_MS = 60 * 60 * 1000; // play loads an hour of changes at a time
const TICK_MS = 200;

let ctx = null; // { scene, room, deviceName, portName, onLeave }
const s = {
  active: false,
  session: null, // the replay session's clock mode: { from, to }
  locked: false,
  from: 0, // ms
  to: 0,
  position: 0,
  playing: false,
  speed: 1,
  alarms: new Map(), // id -> snapshot
  steps: [],
  player: null, // { until, statuses, alarmEvents, ticketSteps, i, j, k }
  loading: false,
  timer: null,
  lastTick: 0,
  generation: 0,
  loads: 0,
  pending: 0,
  debounce: null,
};

const $ = (id) => document.getElementById(id);

expose('__replay', {
  active: () => s.active,
  position: () => (s.active ? new Date(s.position).toISOString() : null),
  locked: () => s.locked,
  playing: () => s.playing,
  speed: () => s.speed,
  alarms: () => [...s.alarms.values()].map((a) => ({ id: a.id, deviceId: a.target?.deviceId, port: a.target?.port ?? null, state: a.state })),
  steps: () => s.steps.map((x) => ({ ticketId: x.ticketId, step: x.step, at: x.at })),
  loads: () => s.loads,
  settled: () => s.pending === 0 && s.debounce === null,
  from: () => (s.active ? new Date(s.from).toISOString() : null),
  /** Drags the slider to an ISO instant, as a user would. */
  dragTo: (iso) => dragTo(Date.parse(iso)),
});

/** True while the console shows the past: live changes must not repaint the room. */
export function inHistory() {
  return s.active;
}

/** Builds the slider (hidden) and its "History" button; in a replay session opens it over the session's window. */
export async function initTimeSlider(options) {
  ctx = options;
  buildDom();
  render();
  onLanguageChange(render);
  const session = await loadTrainingContext();
  if (session?.kind === 'replay' && session.replayFrom && session.replayTo) {
    s.session = { from: Date.parse(session.replayFrom), to: Date.parse(session.replayTo) };
    s.locked = !can('runDrills');
    $('ts-toggle').hidden = true;
    await enter(s.session.from, s.session.to, s.session.from);
    try {
      onClock(await api('/api/training/replay'));
    } catch (error) {
      console.warn('replay clock', error);
    }
  }
}

/** The replay session's clock reaches every console by the hub. */
export function attachTimeSliderHub(hub) {
  hub.on('replay', onClock);
}

function buildDom() {
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.id = 'ts-toggle';
  toggle.className = 'btn ts-toggle';
  toggle.addEventListener('click', () => (s.active ? leave() : enterLive()));
  const actions = document.querySelector('.header-actions');
  actions?.insertBefore(toggle, $('home') ?? null);

  const bar = document.createElement('section');
  bar.id = 'timeslider';
  bar.className = 'timeslider';
  bar.hidden = true;
  bar.innerHTML = `
    <div class="ts-row">
      <span id="ts-badge" class="ts-badge"></span>
      <input id="ts-range" class="ts-range" type="range" min="0" max="1" step="1" value="0">
      <button id="ts-play" type="button" class="btn small"></button>
      <span id="ts-speeds" class="ts-speeds"></span>
      <select id="ts-span" class="ts-span"></select>
      <button id="ts-live" type="button" class="btn small ts-live"></button>
    </div>
    <div id="ts-note" class="ts-note"></div>
    <div class="ts-lists">
      <div><h3 id="ts-alarms-title"></h3><ul id="ts-alarms" class="ts-alarms"></ul></div>
      <div><h3 id="ts-steps-title"></h3><ul id="ts-steps" class="ts-steps"></ul></div>
    </div>`;
  ($('viewport')?.parentElement ?? document.body).appendChild(bar);
  for (const speed of SPEEDS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn small ts-speed';
    b.dataset.speed = String(speed);
    b.textContent = `${speed}x`;
    b.addEventListener('click', () => setSpeed(speed));
    $('ts-speeds').appendChild(b);
  }
  for (const hours of SPANS) {
    const o = document.createElement('option');
    o.value = String(hours);
    $('ts-span').appendChild(o);
  }
  $('ts-span').value = '6';
  $('ts-span').addEventListener('change', () => enterLive());
  $('ts-range').addEventListener('input', () => dragTo(s.from + Number($('ts-range').value) * 1000));
  $('ts-play').addEventListener('click', () => (s.playing ? pause() : play()));
  $('ts-live').addEventListener('click', () => leave());
}

function render() {
  if (!$('ts-toggle')) return;
  $('ts-toggle').textContent = t('replay.toggle');
  $('ts-toggle').title = t('replay.toggleTitle');
  $('ts-toggle').classList.toggle('active', s.active);
  $('ts-live').textContent = t('replay.live');
  $('ts-live').hidden = !!s.session;
  $('ts-span').hidden = !!s.session;
  for (const o of $('ts-span').options) o.textContent = t('replay.hours').replace('{n}', o.value);
  $('ts-play').textContent = s.playing ? t('replay.pause') : t('replay.play');
  $('ts-alarms-title').textContent = t('replay.alarms');
  $('ts-steps-title').textContent = t('replay.steps');
  $('ts-note').textContent = s.locked ? `${t('replay.readOnly')} · ${t('replay.locked')}` : t('replay.readOnly');
  const controls = !s.locked;
  $('ts-range').disabled = !controls;
  $('ts-play').hidden = !controls;
  $('ts-speeds').hidden = !controls;
  for (const b of document.querySelectorAll('.ts-speed')) b.classList.toggle('active', Number(b.dataset.speed) === s.speed);
  renderPosition();
  renderLists();
}

function clock(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function renderPosition() {
  if (!s.active) return;
  $('ts-badge').textContent = `${t('replay.badge')} ${clock(s.position)}`;
  $('ts-badge').title = new Date(s.position).toLocaleString();
  $('ts-range').max = String(Math.max(1, Math.round((s.to - s.from) / 1000)));
  $('ts-range').value = String(Math.round((s.position - s.from) / 1000));
}

function renderLists() {
  const alarms = $('ts-alarms');
  if (!alarms) return;
  alarms.replaceChildren();
  const list = [...s.alarms.values()].sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
  for (const a of list) {
    const li = document.createElement('li');
    li.className = `ts-alarm sev-${a.severity} state-${a.state}`;
    li.dataset.deviceId = a.target?.deviceId ?? '';
    li.dataset.port = a.target?.port ?? '';
    li.dataset.state = a.state;
    const where = a.target?.port != null ? `${ctx.deviceName(a.target.deviceId)} ${ctx.portName(a.target.deviceId, a.target.port)}` : ctx.deviceName(a.target?.deviceId);
    const text = document.documentElement.lang === 'en' && a.messageEn ? a.messageEn : a.message;
    li.textContent = `${clock(Date.parse(a.raisedAt))} ${where} · ${text} · ${t(`replay.state.${a.state}`)}`;
    alarms.appendChild(li);
  }
  if (!list.length) alarms.appendChild(Object.assign(document.createElement('li'), { className: 'ts-none', textContent: t('replay.none') }));
  const steps = $('ts-steps');
  steps.replaceChildren();
  for (const x of s.steps.slice(-20).reverse()) {
    const li = document.createElement('li');
    li.dataset.ticketId = String(x.ticketId);
    li.textContent = `${clock(Date.parse(x.at))} #${x.ticketId} ${x.step} · ${x.by} · ${x.title}`;
    steps.appendChild(li);
  }
  if (!s.steps.length) steps.appendChild(Object.assign(document.createElement('li'), { className: 'ts-none', textContent: t('replay.none') }));
}

function roomPath(suffix) {
  return `/api/replay/rooms/${encodeURIComponent(ctx.room.id)}/${suffix}`;
}

async function enterLive() {
  const hours = Number($('ts-span').value) || 6;
  const now = Date.now();
  // a minute's margin from the retention's edge, which moves while the slider is open
  const from = now - hours * 3600_000 + 60_000;
  await enter(from, now, s.active ? Math.max(from, s.position) : now - 60_000);
}

async function enter(from, to, at) {
  pause(false);
  s.active = true;
  s.from = from;
  s.to = to;
  s.position = Math.min(Math.max(at, from), to);
  document.body.classList.add('history-mode');
  $('timeslider').hidden = false;
  render();
  await show(s.position);
}

/** Back to live: the slider closes and the room is repainted with the live statuses. */
async function leave() {
  if (s.session) return;
  pause(false);
  s.active = false;
  s.generation++;
  s.alarms.clear();
  s.steps = [];
  document.body.classList.remove('history-mode');
  $('timeslider').hidden = true;
  render();
  await ctx.onLeave?.();
}

function dragTo(ms) {
  if (!s.active || !Number.isFinite(ms)) return;
  const at = Math.min(Math.max(ms, s.from), s.to);
  if (s.session) {
    if (s.locked) return;
    api('/api/training/replay/seek', { method: 'POST', body: { t: new Date(at).toISOString() } }).then(onClock).catch((e) => console.warn('seek', e));
    return;
  }
  pause(false);
  s.position = at;
  renderPosition();
  // the latest drag wins: one read after the slider rests for a moment
  clearTimeout(s.debounce);
  s.debounce = setTimeout(() => {
    s.debounce = null;
    show(s.position);
  }, 120);
}

/** Paints the room, the alarms and the steps as they stood at ms. */
async function show(ms) {
  const generation = ++s.generation;
  s.pending++;
  try {
    const room = await api(`${roomPath('at')}?t=${encodeURIComponent(new Date(ms).toISOString())}`);
    if (generation !== s.generation || !s.active) return;
    paintStart(room);
    s.player = null;
    s.loads++;
  } catch (error) {
    console.warn('replay at', error);
    $('ts-note').textContent = `${t('replay.failed')}: ${error.message}`;
  } finally {
    s.pending--;
  }
}

function paintStart(room) {
  ctx.scene.applyChanges({ devices: room.devices, ports: room.ports });
  s.alarms = new Map(room.alarms.map((a) => [a.id, a]));
  s.steps = [...room.ticketSteps];
  renderLists();
}

async function loadChunk(from) {
  const generation = s.generation;
  const until = Math.min(s.to, from + CHUNK_MS);
  if (until <= from) return null;
  s.pending++;
  try {
    const answer = await api(`${roomPath('changes')}?from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(until).toISOString())}`);
    if (generation !== s.generation) return null;
    s.loads++;
    paintStart(answer.start);
    return {
      until,
      statuses: answer.statuses.map((x) => ({ ...x, ms: Date.parse(x.at) })),
      alarmEvents: answer.alarmEvents.map((x) => ({ ...x, ms: Date.parse(x.at) })),
      ticketSteps: answer.ticketSteps.map((x) => ({ ...x, ms: Date.parse(x.at) })),
      i: 0, j: 0, k: 0,
    };
  } finally {
    s.pending--;
  }
}

/** Applies everything of the loaded chunk dated up to the position. */
function advancePlayer() {
  const p = s.player;
  if (!p) return;
  const devices = [];
  const ports = [];
  while (p.i < p.statuses.length && p.statuses[p.i].ms <= s.position) {
    const c = p.statuses[p.i++];
    if (c.port == null) devices.push({ id: c.device, status: c.status });
    else ports.push({ device: c.device, index: c.port, status: c.status, adminDown: c.adminDown });
  }
  if (devices.length || ports.length) ctx.scene.applyChanges({ devices, ports });
  let lists = false;
  while (p.j < p.alarmEvents.length && p.alarmEvents[p.j].ms <= s.position) {
    const e = p.alarmEvents[p.j++];
    if (e.alarm.state === 'closed') s.alarms.delete(e.alarm.id);
    else s.alarms.set(e.alarm.id, e.alarm);
    lists = true;
  }
  while (p.k < p.ticketSteps.length && p.ticketSteps[p.k].ms <= s.position) {
    s.steps.push(p.ticketSteps[p.k++]);
    lists = true;
  }
  if (lists) renderLists();
}

async function tick() {
  const now = performance.now();
  const elapsed = now - s.lastTick;
  s.lastTick = now;
  if (!s.playing) return;
  s.position = Math.min(s.to, s.position + elapsed * s.speed);
  if (!s.player || (s.position > s.player.until && s.player.until < s.to)) {
    if (s.loading) return;
    s.loading = true;
    try {
      // a newer read (a drag, a seek) makes this one come back empty: the next tick loads from the position
      s.player = await loadChunk(s.player ? s.player.until : s.position);
    } catch (error) {
      console.warn('replay changes', error);
      s.player = null;
      pause(false);
      return;
    } finally {
      s.loading = false;
    }
    if (!s.player) return;
  }
  advancePlayer();
  renderPosition();
  if (s.position >= s.to) pause(false);
}

function startTimer() {
  if (s.timer) return;
  s.lastTick = performance.now();
  s.timer = setInterval(() => {
    tick();
  }, TICK_MS);
}

function play() {
  if (!s.active) return;
  if (s.session) {
    if (!s.locked) api('/api/training/replay/play', { method: 'POST', body: {} }).then(onClock).catch((e) => console.warn('play', e));
    return;
  }
  if (s.position >= s.to) s.position = s.from;
  s.playing = true;
  s.player = null; // the first tick loads the changes from the position
  startTimer();
  render();
}

function pause(ask = true) {
  if (s.session && ask) {
    if (!s.locked) api('/api/training/replay/pause', { method: 'POST', body: {} }).then(onClock).catch((e) => console.warn('pause', e));
    return;
  }
  s.playing = false;
  clearInterval(s.timer);
  s.timer = null;
  if ($('ts-play')) render();
}

function setSpeed(speed) {
  if (s.session) {
    if (!s.locked) api('/api/training/replay/speed', { method: 'POST', body: { speed } }).then(onClock).catch((e) => console.warn('speed', e));
    return;
  }
  s.speed = speed;
  render();
}

/** The session's clock (hub "replay" or an answer to a command): the slider goes where it says. */
function onClock(state) {
  if (!s.session || !state) return;
  const position = Date.parse(state.position) + (state.playing ? Math.max(0, Date.now() - Date.parse(state.serverTime)) * state.speed : 0);
  const drift = Math.abs(position - s.position);
  s.speed = state.speed;
  const wasPlaying = s.playing;
  s.playing = !!state.playing;
  // a seek, or a drift of more than a few recorded seconds: read the room at the clock's position
  if (!wasPlaying || !s.playing || drift > 3000 * Math.max(1, s.speed / 10)) {
    clearInterval(s.timer);
    s.timer = null;
    s.position = Math.min(Math.max(position, s.from), s.to);
    s.player = null;
    show(s.position);
  }
  if (s.playing) startTimer();
  render();
}
