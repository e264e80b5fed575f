// The instructor's training board (issue 21, branch "quizzes"): in a training session, for whoever runs drills, a
// panel with each trainee's expected responses (pending, overdue, met, late, missed), quiz results and score, read
// from GET /api/training/board every 2 s while the panel is open (an expectation turns overdue as drill time passes,
// with no event to push, so the board polls rather than waiting on the hub); a link to the CSV report; and a form to
// pose a locate quiz now. Strings: the "quizzes" block of quiz.js.
import { api, can } from './session.js';
import { t, lang, onLanguageChange } from './i18n.js';
import { el, fill } from './toolkit.js';
import { loadTrainingContext } from './training-context.js';
import { expose } from './testhooks.js';

const POLL_MS = 2000;
const state = { open: false, board: null, timer: null, panel: null, button: null, note: '' };

const hooks = expose('__board', {
  ready: false,
  /** The board as last read (GET /api/training/board), or null. */
  board: () => state.board,
  open: () => state.open,
  toggle: () => toggle(),
});

/** Adds the board's button to the top bar in a session's console, for those who run drills. */
export async function initTrainingBoard() {
  const session = await loadTrainingContext();
  if (!session || !can('runDrills')) return;
  state.button = el('button', { type: 'button', id: 'training-board-toggle', class: 'btn', onclick: toggle }, t('quizzes.board'));
  document.querySelector('.header-actions')?.prepend(state.button);
  onLanguageChange(() => {
    state.button.textContent = t('quizzes.board');
    render();
  });
  hooks.ready = true;
}

function toggle() {
  state.open = !state.open;
  clearInterval(state.timer);
  state.timer = null;
  if (state.open) {
    poll();
    state.timer = setInterval(poll, POLL_MS);
  }
  render();
}

async function poll() {
  try {
    state.board = await api('/api/training/board');
    render();
  } catch (error) {
    console.warn('training board', error);
  }
}

function panel() {
  if (!state.panel) {
    state.panel = el('section', { id: 'training-board', class: 'training-board', hidden: true });
    document.body.append(state.panel);
  }
  return state.panel;
}

const seconds = (s) => (s == null ? '—' : `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`);

function render() {
  const node = panel();
  node.hidden = !state.open;
  if (!state.open) return;
  const board = state.board;
  const zh = lang() === 'zh';
  const head = el('header', {},
    el('h2', {}, t('quizzes.board.title')),
    el('a', { class: 'btn', id: 'training-board-csv', href: '/api/training/report.csv', download: 'training-report.csv' }, t('quizzes.board.csv')),
    el('button', { type: 'button', class: 'btn', onclick: toggle }, t('quizzes.dismiss')));
  const drill = board?.drillId
    ? fill(t('quizzes.board.drill'), board.drillId, seconds(board.drillSeconds)) + (board.finished ? t('quizzes.board.finished') : '')
    : t('quizzes.board.noDrill');
  const rows = (board?.trainees ?? []).map((trainee) => el('tr', { 'data-trainee': trainee.user },
    el('th', { scope: 'row' }, trainee.user),
    el('td', {}, trainee.expectations.map((e) => el('span', {
      class: `outcome outcome-${e.outcome}`, 'data-expectation': e.id, title: `${zh ? e.descriptionZh : e.descriptionEn}${e.doneAtSeconds != null ? ` @ ${seconds(e.doneAtSeconds)}` : ''}`,
    }, `${e.id}: ${t(`quizzes.outcome.${e.outcome}`)}`))),
    el('td', {}, trainee.quizzes.map((q) => el('span', {
      class: `outcome ${!q.answered ? 'outcome-pending' : q.correct ? 'outcome-met' : 'outcome-missed'}`, 'data-quiz': q.quizId, title: zh ? q.askZh : q.askEn,
    }, `${q.quizId}: ${!q.answered ? '…' : q.correct ? `✓ ${q.seconds} s` : '✗'}`))),
    el('td', { class: 'num' }, String(trainee.actions)),
    el('td', { class: 'num', 'data-score': String(trainee.earned) }, `${trainee.earned} / ${trainee.possible}`)));
  const table = el('table', { class: 'board-table' },
    el('thead', {}, el('tr', {},
      el('th', {}, t('quizzes.board.trainee')), el('th', {}, t('quizzes.board.expectations')), el('th', {}, t('quizzes.board.quizzes')),
      el('th', {}, t('quizzes.board.actions')), el('th', {}, t('quizzes.board.total')))),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colSpan: 5 }, t('quizzes.board.none')))));
  const device = el('input', { type: 'text', id: 'quiz-pose-device', placeholder: t('quizzes.board.poseDevice'), size: 12 });
  const port = el('input', { type: 'number', id: 'quiz-pose-port', placeholder: t('quizzes.board.posePort'), min: 0, style: 'width:8em' });
  const pose = el('form', { class: 'quiz-pose', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const quiz = await api('/api/training/quizzes', { method: 'POST', body: { deviceId: device.value.trim(), port: port.value === '' ? null : Number(port.value) } });
      state.note = fill(t('quizzes.board.posed'), zh ? quiz.ask.zh : quiz.ask.en);
    } catch (error) {
      state.note = error.message;
    }
    render();
  } }, device, port, el('button', { type: 'submit', class: 'btn' }, t('quizzes.board.pose')), el('span', { class: 'quiz-pose-note' }, state.note));
  node.replaceChildren(head, el('p', { class: 'board-drill' }, drill), table, pose);
}
