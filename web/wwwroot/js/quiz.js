// Locate quizzes (issue 21, branch "quizzes"): in a training session the console reports what the trainee selects in
// 3D (POST /api/training/locate), shows the quiz that waits as a banner with the question in the trainee's language
// and a timer, and answers it with the next click on a device or port (POST /api/training/quizzes/{id}/answer),
// telling right or wrong. On the live room's console this module does nothing.
import { api, can } from './session.js';
import { t, lang, addText, onLanguageChange } from './i18n.js';
import { el, fill } from './toolkit.js';
import { loadTrainingContext } from './training-context.js';
import { expose } from './testhooks.js';

// i18n block "quizzes"
addText({
  zh: {
    'quizzes.title': '定位测验', 'quizzes.hint': '在三维机房中点击答案（设备或端口）', 'quizzes.elapsed': '已用 {0} 秒 / 限时 {1} 秒',
    'quizzes.right': '回答正确：{0}，用时 {1} 秒，得 {2} 分', 'quizzes.wrong': '回答错误：你点击的是 {0}', 'quizzes.already': '这道题你已经回答过了',
    'quizzes.failed': '未能提交答案：{0}', 'quizzes.dismiss': '关闭', 'quizzes.port': '端口 {0}',
    'quizzes.board': '训练看板', 'quizzes.board.title': '训练看板（实时）', 'quizzes.board.csv': '下载 CSV 报告', 'quizzes.board.trainee': '学员',
    'quizzes.board.expectations': '预期响应', 'quizzes.board.quizzes': '测验', 'quizzes.board.total': '得分', 'quizzes.board.actions': '操作数',
    'quizzes.board.noDrill': '没有正在运行的演练：只显示操作和测验', 'quizzes.board.drill': '演练 {0} · 演练时间 {1}', 'quizzes.board.finished': '（已结束）',
    'quizzes.board.pose': '出题', 'quizzes.board.poseDevice': '设备 ID', 'quizzes.board.posePort': '端口号（可空）', 'quizzes.board.posed': '已出题：{0}',
    'quizzes.outcome.pending': '进行中', 'quizzes.outcome.overdue': '已超时', 'quizzes.outcome.met': '达成', 'quizzes.outcome.late': '迟到',
    'quizzes.outcome.missed': '未完成', 'quizzes.board.none': '还没有学员',
  },
  en: {
    'quizzes.title': 'Locate quiz', 'quizzes.hint': 'Click the answer (a device or a port) in the 3D room', 'quizzes.elapsed': '{0} s of {1} s',
    'quizzes.right': 'Right: {0}, in {1} s, {2} points', 'quizzes.wrong': 'Wrong: you clicked {0}', 'quizzes.already': 'You have answered this quiz already',
    'quizzes.failed': 'The answer was not taken: {0}', 'quizzes.dismiss': 'Close', 'quizzes.port': 'port {0}',
    'quizzes.board': 'Training board', 'quizzes.board.title': 'Training board (live)', 'quizzes.board.csv': 'Download the CSV report', 'quizzes.board.trainee': 'Trainee',
    'quizzes.board.expectations': 'Expected responses', 'quizzes.board.quizzes': 'Quizzes', 'quizzes.board.total': 'Score', 'quizzes.board.actions': 'Actions',
    'quizzes.board.noDrill': 'No drill is running: actions and quizzes only', 'quizzes.board.drill': 'Drill {0} · drill time {1}', 'quizzes.board.finished': ' (finished)',
    'quizzes.board.pose': 'Pose a quiz', 'quizzes.board.poseDevice': 'Device id', 'quizzes.board.posePort': 'Port (optional)', 'quizzes.board.posed': 'Posed: {0}',
    'quizzes.outcome.pending': 'pending', 'quizzes.outcome.overdue': 'overdue', 'quizzes.outcome.met': 'met', 'quizzes.outcome.late': 'late',
    'quizzes.outcome.missed': 'missed', 'quizzes.board.none': 'No trainees yet',
  },
});

const state = { session: null, current: null, result: null, banner: null, timer: null, answering: false };

const hooks = expose('__quiz', {
  ready: false,
  /** The quiz waiting for this trainee's answer (its id), or null. */
  current: () => state.current?.id ?? null,
  /** The last answer's outcome: { quizId, correct, earned, seconds } or null. */
  lastResult: () => state.result,
  /** How many locates this console reported (and had kept). */
  locates: 0,
});

/** Starts the quizzes in a session's console: reads the open quizzes and listens for new ones ("quiz" on the hub). */
export async function initQuizzes({ hub }) {
  state.session = await loadTrainingContext();
  if (!state.session || !can('train')) return;
  hub?.on('quiz', () => refresh());
  onLanguageChange(render);
  await refresh();
  hooks.ready = true;
}

async function refresh() {
  try {
    const quizzes = await api('/api/training/quizzes');
    if (state.answering) return;
    state.current = quizzes.find((q) => !q.mine) ?? null;
    render();
  } catch (error) {
    console.warn('quizzes', error);
  }
}

/**
 * The 3D scene's selection (a device, or a port of it): reported as a locate, and while a quiz waits, taken as its
 * answer. Called by app.js where a click selects.
 */
export async function onLocated(deviceId, port = null) {
  if (!state.session || !can('train') || !deviceId) return;
  const quiz = state.current;
  if (quiz) {
    state.answering = true;
    state.current = null;
    try {
      const answer = await api(`/api/training/quizzes/${encodeURIComponent(quiz.id)}/answer`, { method: 'POST', body: { deviceId, port } });
      state.result = { quizId: quiz.id, correct: answer.correct, earned: answer.earned, seconds: answer.seconds, deviceId, port };
    } catch (error) {
      state.result = { quizId: quiz.id, error: error.status === 409 ? t('quizzes.already') : fill(t('quizzes.failed'), error.message) };
    } finally {
      state.answering = false;
    }
    render();
  }
  try {
    await api('/api/training/locate', { method: 'POST', body: { deviceId, port } });
    hooks.locates += 1;
  } catch (error) {
    console.warn('locate', error);
  }
}

function banner() {
  if (!state.banner) {
    state.banner = el('div', { id: 'quiz-banner', class: 'quiz-banner', role: 'status', 'aria-live': 'polite', hidden: true });
    document.body.append(state.banner);
  }
  return state.banner;
}

function what(deviceId, port) {
  return port == null ? deviceId : `${deviceId} ${fill(t('quizzes.port'), port)}`;
}

function render() {
  const node = banner();
  clearInterval(state.timer);
  state.timer = null;
  node.replaceChildren();
  const quiz = state.current;
  const result = state.result;
  if (quiz) {
    const ask = lang() === 'zh' ? quiz.ask.zh : quiz.ask.en;
    const clock = el('span', { class: 'quiz-timer', 'data-quiz-timer': '' });
    const tick = () => {
      const elapsed = Math.max(0, Math.round((Date.now() - Date.parse(quiz.posedAt)) / 1000));
      clock.textContent = fill(t('quizzes.elapsed'), elapsed, Math.round(quiz.withinSeconds));
      clock.classList.toggle('late', elapsed > quiz.withinSeconds);
    };
    tick();
    state.timer = setInterval(tick, 1000);
    node.append(
      el('strong', {}, t('quizzes.title')),
      el('span', { class: 'quiz-ask', 'data-quiz': quiz.id }, ask),
      clock,
      el('span', { class: 'quiz-hint' }, t('quizzes.hint')),
    );
    node.dataset.state = 'asking';
    node.hidden = false;
  } else if (result) {
    const text = result.error ?? (result.correct
      ? fill(t('quizzes.right'), what(result.deviceId, result.port), result.seconds, result.earned)
      : fill(t('quizzes.wrong'), what(result.deviceId, result.port)));
    node.append(
      el('span', { class: 'quiz-result', 'data-correct': String(!!result.correct) }, text),
      el('button', { type: 'button', class: 'btn', onclick: () => { state.result = null; render(); } }, t('quizzes.dismiss')),
    );
    node.dataset.state = result.correct ? 'right' : 'wrong';
    node.hidden = false;
  } else {
    node.hidden = true;
  }
}
