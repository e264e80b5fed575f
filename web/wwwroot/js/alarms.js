// Alarms in the console: the flashing banner with the worst unacknowledged alarm, the alarm list (sortable,
// filterable, acknowledge / shelve), the console mute, a sound per severity made with Web Audio that repeats until
// the alarm is acknowledged, and the alarm overlay of the 3D room (scene.setAlarms).
//
// The hub sends `alarm` ({ kind, alarm, at }) and `mute` ({ muted, by, reason, at, until }) to every console; on
// connect the console asks for the whole list with the hub method GetAlarms.
//
// Test hooks (only with the test flag, see testhooks.js): window.__alarms = {
//   ready: boolean                    the first list has arrived (GetAlarms answered)
//   received(): number                `alarm` messages applied
//   list(): [{ id, ruleId, severity, state, deviceId, port, silent, acknowledged }]   active alarms as listed
//   rows(): number                    rows the list shows (after filters)
//   bannerVisible(): boolean, bannerAlarmId(): number|null
//   audioEnabled(): boolean           the operator enabled sound (the AudioContext runs)
//   audioPlaying(): boolean           the alarm sound is repeating now
//   beeps(): number                   sound patterns started since load
//   playingSeverity(): string|null
//   muted(): boolean
// }
import { t, lang, onLanguageChange, alarmMessage } from './i18n.js';
import { api, can } from './session.js';
import { ALARM_COLORS } from './scene.js';
import { expose } from './testhooks.js';
import { SEVERITIES, SEVERITY_RANK as RANK } from './toolkit.js';

const SOUND_KEY = 'monitoring.sound';
const MAX_MUTE_MINUTES = 30;

// Each severity's sound: tones (Hz) of one pattern, each beep's length, and how often the pattern repeats (s).
const SOUNDS = {
  critical: { tones: [988, 740, 988, 740], beep: 0.16, gap: 0.04, every: 1.2, type: 'square' },
  major: { tones: [784, 784], beep: 0.2, gap: 0.12, every: 2.5, type: 'square' },
  minor: { tones: [587], beep: 0.3, gap: 0, every: 5, type: 'triangle' },
  warning: { tones: [440], beep: 0.25, gap: 0, every: 10, type: 'sine' },
};

const $ = (id) => document.getElementById(id);

const state = {
  alarms: new Map(), // id -> snapshot
  mute: { muted: false },
  received: 0,
  ready: false,
  sort: { key: 'severity', dir: -1 },
  filter: { severity: '', room: '', state: '' },
  ctx: null,
  soundWanted: false,
  playing: null, // severity being repeated
  nextBeep: 0,
  beeps: 0,
  scene: null,
  roomId: null,
  deviceName: (id) => id,
  portName: (deviceId, port) => String(port),
  locate: () => {},
  hub: null,
  panelOpen: false,
  rows: 0,
};

const alarmsHooks = expose('__alarms', {
  ready: false,
  received: () => state.received,
  list: () => sorted([...state.alarms.values()]).map((a) => ({
    id: a.id, ruleId: a.ruleId, severity: a.severity, state: a.state, deviceId: a.target.deviceId, port: a.target.port ?? null,
    silent: isSilent(a), acknowledged: !!a.acknowledgement,
  })),
  rows: () => state.rows,
  bannerVisible: () => !$('alarm-banner').hidden,
  bannerAlarmId: () => (worstUnacknowledged()?.id ?? null),
  audioEnabled: () => state.ctx?.state === 'running',
  audioPlaying: () => state.playing !== null,
  beeps: () => state.beeps,
  playingSeverity: () => state.playing,
  muted: () => isMuted(),
});

// ---------- model ----------

const isSilent = (a) => a.suppressedBy != null || a.shelving != null || !!a.inMaintenance;
const isAlerting = (a) => a.state === 'raised' && !isSilent(a);

function isMuted() {
  return !!state.mute.muted && (!state.mute.until || new Date(state.mute.until).getTime() > Date.now());
}

function worstUnacknowledged() {
  let worst = null;
  for (const a of state.alarms.values()) {
    if (!isAlerting(a)) continue;
    if (!worst || RANK[a.severity] > RANK[worst.severity]
      || (RANK[a.severity] === RANK[worst.severity] && a.raisedAt > worst.raisedAt)) worst = a;
  }
  return worst;
}

function sorted(list) {
  const { key, dir } = state.sort;
  const value = (a) => {
    switch (key) {
      case 'severity': return RANK[a.severity] * 1e13 + new Date(a.raisedAt).getTime() / 1e3;
      case 'time': return new Date(a.raisedAt).getTime();
      case 'device': return `${state.deviceName(a.target.deviceId)} ${a.target.port ?? ''}`;
      case 'state': return `${a.state}${isSilent(a) ? 'z' : ''}`;
      default: return a.id;
    }
  };
  return list.sort((x, y) => {
    const a = value(x);
    const b = value(y);
    return (a < b ? -1 : a > b ? 1 : 0) * dir || y.id - x.id;
  });
}

function apply(message) {
  const a = message.alarm;
  if (!a) return;
  state.received++;
  if (message.kind === 'closed' || a.state === 'closed') state.alarms.delete(a.id);
  else state.alarms.set(a.id, a);
  queueRender();
}

// ---------- rendering ----------

let renderQueued = false;
function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  renderBanner();
  renderCount();
  if (state.panelOpen) renderList();
  renderMute();
  updateScene();
  updateSound();
}

function severityChip(severity) {
  const chip = document.createElement('span');
  chip.className = `sev sev-${severity}`;
  chip.style.setProperty('--sev', ALARM_COLORS[severity] ?? '#888');
  chip.textContent = t(`sev.${severity}`);
  return chip;
}

function targetText(a) {
  const name = state.deviceName(a.target.deviceId);
  return a.target.port == null ? name : `${name} · ${state.portName(a.target.deviceId, a.target.port)}`;
}

function timeText(iso) {
  const d = new Date(iso);
  return d.toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

function renderBanner() {
  const banner = $('alarm-banner');
  const worst = worstUnacknowledged();
  banner.hidden = !worst;
  if (!worst) return;
  banner.dataset.severity = worst.severity;
  banner.dataset.alarmId = worst.id;
  banner.style.setProperty('--sev', ALARM_COLORS[worst.severity]);
  const others = [...state.alarms.values()].filter(isAlerting).length - 1;
  $('alarm-banner-severity').replaceChildren(severityChip(worst.severity));
  $('alarm-banner-target').textContent = targetText(worst);
  $('alarm-banner-text').textContent = shownMessage(worst);
  $('alarm-banner-time').textContent = timeText(worst.raisedAt);
  $('alarm-banner-more').textContent = others > 0 ? t('alarms.more').replace('{n}', others) : '';
  banner.querySelector('[data-action="ack"]').hidden = !can('handleAlarms');
}

function renderCount() {
  const alerting = [...state.alarms.values()].filter(isAlerting).length;
  $('alarm-toggle-count').textContent = `${state.alarms.size}`;
  $('alarm-toggle').classList.toggle('alerting', alerting > 0);
}

function renderMute() {
  const muted = isMuted();
  const button = $('alarm-mute');
  button.classList.toggle('active', muted);
  button.textContent = muted
    ? `${t('alarms.muted')} ${new Date(state.mute.until).toLocaleTimeString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', hour12: false })}`
    : t('alarms.mute');
  // the mute's state shows to everyone; only the roles that may mute get a live button (the server decides anyway)
  button.disabled = !can('silenceAlarms');
  button.title = muted ? `${state.mute.by}: ${state.mute.reason}` : can('silenceAlarms') ? t('alarms.muteTitle') : t('auth.forbidden');
  $('alarm-sound').hidden = state.ctx?.state === 'running';
}

function renderList() {
  const tbody = $('alarm-rows');
  const { severity, room, state: wanted } = state.filter;
  const list = sorted([...state.alarms.values()]).filter((a) =>
    (!severity || a.severity === severity) && (!room || a.target.roomId === room)
    && (!wanted || (wanted === 'silent' ? isSilent(a) : a.state === wanted && !(wanted === 'raised' && isSilent(a)))));
  state.rows = list.length;
  const rows = list.slice(0, 500).map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.alarmId = a.id;
    tr.className = `${isAlerting(a) ? 'alerting' : ''} ${isSilent(a) ? 'silent' : ''}`;
    const cells = [
      severityChip(a.severity),
      targetText(a),
      shownMessage(a) + (a.suppressedBy != null ? ` (${t('alarms.suppressedBy')} #${a.suppressedBy})` : '')
        + (a.suppresses?.length ? ` (${t('alarms.suppresses').replace('{n}', a.suppresses.length)})` : ''),
      timeText(a.raisedAt),
      stateText(a),
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      if (c instanceof Node) td.append(c);
      else td.textContent = c;
      tr.append(td);
    }
    const actions = document.createElement('td');
    actions.className = 'actions';
    if (!a.acknowledgement && a.state !== 'closed' && can('handleAlarms')) actions.append(button(t('alarms.ack'), 'ack', () => askAndRun('ack', a)));
    if (a.shelving) {
      if (can('handleAlarms')) actions.append(button(t('alarms.unshelve'), 'unshelve', () => askAndRun('unshelve', a)));
    } else if (a.state !== 'closed' && can('handleAlarms')) {
      actions.append(button(t('alarms.shelve'), 'shelve', () => askAndRun('shelve', a)));
    }
    tr.append(actions);
    tr.addEventListener('click', (e) => {
      if (e.target.closest('button')) return;
      state.locate(a.target.deviceId, a.target.port ?? null);
    });
    return tr;
  });
  tbody.replaceChildren(...rows);
  $('alarm-empty').hidden = list.length > 0;
  for (const th of document.querySelectorAll('#alarm-table th[data-sort]')) {
    th.classList.toggle('sorted', th.dataset.sort === state.sort.key);
    th.dataset.dir = th.dataset.sort === state.sort.key ? (state.sort.dir > 0 ? 'asc' : 'desc') : '';
  }
}

function stateText(a) {
  if (a.shelving) return t('alarms.state.shelved');
  if (a.inMaintenance) return t('alarms.state.maintenance');
  if (a.suppressedBy != null) return t('alarms.state.suppressed');
  const base = t(`alarms.state.${a.state}`);
  return a.state === 'cleared' && !a.acknowledgement ? `${base} · ${t('alarms.state.unacked')}` : base;
}

function button(text, action, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'btn small';
  b.dataset.action = action;
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

function updateScene() {
  if (!state.scene) return;
  const items = [];
  for (const a of state.alarms.values()) {
    if (a.state === 'closed' || a.target.roomId !== state.roomId) continue;
    // cleared alarms waiting for acknowledgement no longer glow: the condition has gone
    if (a.state === 'cleared') continue;
    items.push({ deviceId: a.target.deviceId, port: a.target.port ?? null, severity: a.severity, silent: isSilent(a) || a.state === 'acknowledged' });
  }
  state.scene.setAlarms(items);
}

// ---------- sound ----------

function ensureContext() {
  if (!state.ctx) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    state.ctx = new Ctx();
    state.ctx.onstatechange = () => {
      renderMute();
      updateSound();
    };
  }
  return state.ctx;
}

async function enableSound() {
  const ctx = ensureContext();
  if (!ctx) return;
  try {
    await ctx.resume();
  } catch (error) {
    console.warn('audio', error);
  }
  state.soundWanted = true;
  try {
    localStorage.setItem(SOUND_KEY, 'on');
  } catch {
    // not remembered
  }
  renderMute();
  updateSound();
}

function updateSound() {
  const worst = worstUnacknowledged();
  const running = state.ctx?.state === 'running';
  const wanted = running && worst && !isMuted() ? worst.severity : null;
  if (wanted !== state.playing) {
    state.playing = wanted;
    state.nextBeep = 0;
  }
}

function soundTick() {
  if (!state.playing || !state.ctx || state.ctx.state !== 'running') return;
  const now = state.ctx.currentTime;
  if (now < state.nextBeep) return;
  const sound = SOUNDS[state.playing];
  playPattern(state.ctx, sound, now + 0.02);
  state.beeps++;
  state.nextBeep = now + sound.every;
}

function playPattern(ctx, sound, start) {
  let at = start;
  for (const tone of sound.tones) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = sound.type;
    osc.frequency.setValueAtTime(tone, at);
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
    gain.gain.setValueAtTime(0.25, at + sound.beep - 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + sound.beep);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + sound.beep + 0.01);
    at += sound.beep + sound.gap;
  }
}

// ---------- commands ----------

/** Opens the dialog for an action and resolves with { text, minutes } or null when cancelled (the actor is the signed-in user). */
function ask(kind, alarm) {
  const dialog = $('alarm-dialog');
  $('alarm-dialog-title').textContent = t(`alarms.dialog.${kind}`);
  $('alarm-dialog-target').textContent = alarm ? `${t(`sev.${alarm.severity}`)} · ${targetText(alarm)} · ${shownMessage(alarm)}` : '';
  $('alarm-dialog-text').value = '';
  $('alarm-dialog-text-label').textContent = t(kind === 'ack' ? 'alarms.comment' : 'alarms.reason');
  $('alarm-dialog-text').required = kind === 'shelve' || kind === 'mute';
  const needsMinutes = kind === 'shelve' || kind === 'mute';
  $('alarm-dialog-minutes-row').hidden = !needsMinutes;
  $('alarm-dialog-minutes').max = kind === 'mute' ? MAX_MUTE_MINUTES : 24 * 60;
  $('alarm-dialog-minutes').value = kind === 'mute' ? 10 : 60;
  $('alarm-dialog-text-row').hidden = kind === 'unshelve' || kind === 'unmute';
  $('alarm-dialog-error').textContent = '';
  return new Promise((resolve) => {
    const form = $('alarm-dialog-form');
    const done = (value) => {
      form.onsubmit = null;
      $('alarm-dialog-cancel').onclick = null;
      dialog.close();
      resolve(value);
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      const text = $('alarm-dialog-text').value.trim();
      if ($('alarm-dialog-text').required && !text) {
        $('alarm-dialog-error').textContent = t('alarms.needReason');
        return;
      }
      done({ text, minutes: Number($('alarm-dialog-minutes').value) });
    };
    $('alarm-dialog-cancel').onclick = () => done(null);
    dialog.showModal();
    if (!$('alarm-dialog-text-row').hidden) $('alarm-dialog-text').focus();
  });
}

async function askAndRun(kind, alarm) {
  const answer = await ask(kind, alarm);
  if (!answer) return;
  try {
    if (kind === 'ack') {
      const a = await api(`/api/alarms/${alarm.id}/ack`, { method: 'POST', body: { comment: answer.text || null } });
      if (a) apply({ kind: 'acknowledged', alarm: a });
    } else if (kind === 'shelve') {
      const a = await api(`/api/alarms/${alarm.id}/shelve`, { method: 'POST', body: { minutes: answer.minutes, reason: answer.text } });
      if (a) apply({ kind: 'updated', alarm: a });
    } else if (kind === 'unshelve') {
      const a = await api(`/api/alarms/${alarm.id}/unshelve`, { method: 'POST', body: {} });
      if (a) apply({ kind: 'updated', alarm: a });
    } else if (kind === 'mute') {
      state.mute = (await api('/api/alarms/mute', { method: 'POST', body: { reason: answer.text, minutes: answer.minutes } })) ?? state.mute;
      render();
    } else if (kind === 'unmute') {
      state.mute = (await api('/api/alarms/mute', { method: 'DELETE' })) ?? { muted: false };
      render();
    }
  } catch (error) {
    console.warn(kind, error);
    showError(`${t('alarms.failed')}: ${error.message}`);
  }
}

function showError(text) {
  const el = $('alarm-error');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (el.hidden = true), 6000);
}

// ---------- wiring ----------

function fillFilters(rooms) {
  const severity = $('alarm-filter-severity');
  severity.replaceChildren(new Option(t('alarms.allSeverities'), ''), ...SEVERITIES.map((s) => new Option(t(`sev.${s}`), s)));
  severity.value = state.filter.severity;
  const room = $('alarm-filter-room');
  room.replaceChildren(new Option(t('alarms.allRooms'), ''), ...rooms.map((r) => new Option(lang() === 'en' && r.nameEn ? r.nameEn : r.name, r.id)));
  room.value = state.filter.room;
  const st = $('alarm-filter-state');
  st.replaceChildren(new Option(t('alarms.allStates'), ''),
    ...['raised', 'acknowledged', 'cleared', 'silent'].map((s) => new Option(t(s === 'silent' ? 'alarms.state.silent' : `alarms.state.${s}`), s)));
  st.value = state.filter.state;
}

/**
 * Starts the alarm console. ctx: { scene, roomId, rooms: [{ id, name, nameEn }], deviceName(id), portName(deviceId, index),
 * locate(deviceId, port) }.
 */
export function initAlarms(ctx) {
  Object.assign(state, {
    scene: ctx.scene, roomId: ctx.roomId, deviceName: ctx.deviceName, portName: ctx.portName, locate: ctx.locate,
  });
  const rooms = ctx.rooms ?? [];
  fillFilters(rooms);
  onLanguageChange(() => {
    fillFilters(rooms);
    render();
  });
  $('alarm-toggle').addEventListener('click', () => {
    state.panelOpen = !state.panelOpen;
    $('alarm-panel').hidden = !state.panelOpen;
    $('alarm-toggle').classList.toggle('active', state.panelOpen);
    if (state.panelOpen) renderList();
  });
  $('alarm-panel-close').addEventListener('click', () => $('alarm-toggle').click());
  for (const [id, key] of [['alarm-filter-severity', 'severity'], ['alarm-filter-room', 'room'], ['alarm-filter-state', 'state']]) {
    $(id).addEventListener('change', (e) => {
      state.filter[key] = e.target.value;
      renderList();
    });
  }
  for (const th of document.querySelectorAll('#alarm-table th[data-sort]')) {
    th.addEventListener('click', () => {
      const key = th.dataset.sort;
      state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: key === 'device' ? 1 : -1 };
      renderList();
    });
  }
  $('alarm-banner').addEventListener('click', (e) => {
    const worst = worstUnacknowledged();
    if (!worst) return;
    if (e.target.closest('[data-action="ack"]')) askAndRun('ack', worst);
    else state.locate(worst.target.deviceId, worst.target.port ?? null);
  });
  $('alarm-mute').addEventListener('click', () => askAndRun(isMuted() ? 'unmute' : 'mute', null));
  $('alarm-sound').addEventListener('click', enableSound);
  // sound was enabled before: browsers still need a gesture, so the first click anywhere resumes it
  try {
    if (localStorage.getItem(SOUND_KEY) === 'on') {
      const resume = () => enableSound();
      document.addEventListener('pointerdown', resume, { once: true });
    }
  } catch {
    // storage disabled
  }
  setInterval(soundTick, 100);
  // a mute that runs out ends here too, without waiting for a message
  setInterval(() => {
    if (state.mute.muted && !isMuted()) {
      state.mute = { muted: false };
      render();
    }
  }, 1000);
  render();
}

/** The alarm's message in the console's language (branch "language": messageEn in English, message in Chinese). */
function shownMessage(alarm) {
  return alarmMessage(alarm);
}

/** Registers the hub's alarm messages; call before the connection starts. */
export function attachAlarmHub(hub) {
  state.hub = hub;
  hub.on('alarm', apply);
  // the server dropped messages this console was too slow to read (alarm events among them): read the list again
  hub.on('resync', () => loadAlarms(hub));
  hub.on('mute', (mute) => {
    state.mute = mute ?? { muted: false };
    render();
  });
}

/** After (re)connecting: replaces the list with the server's (events may have been missed meanwhile). */
export async function loadAlarms(hub) {
  try {
    const snapshot = await hub.invoke('GetAlarms');
    state.alarms = new Map(snapshot.alarms.map((a) => [a.id, a]));
    state.mute = snapshot.mute ?? { muted: false };
    state.ready = true;
    alarmsHooks.ready = true;
    render();
  } catch (error) {
    console.warn('GetAlarms', error);
  }
}
