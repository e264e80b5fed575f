// The sign-in page (/signin.html): name and password, the server's refusal shown as it is meant (wrong name or
// password, locked until HH:MM, too many attempts: retry after N s), and the password change (current, new, repeat),
// forced when the session says mustChangePassword (first run, reset by an administrator) or asked for with ?change=1.
// Then on to ?returnUrl=, a path on this server only (anything not starting with a single "/" is ignored), with the
// fragment of a deep link the server's redirect carried over (see withFragment).
//
// Test hooks (only with the test flag, see testhooks.js): window.__signin = { ready: boolean, mode(): 'signin'|'change'|'leaving', error(): string, returnUrl(): string }
import { t, lang, setLanguage, onLanguageChange, applyTo, addText } from './i18n.js';
import { loadSession, send, safeReturnUrl, currentUser, rememberAnswer, roleName, signOut } from './session.js';
import { expose } from './testhooks.js';

addText({
  zh: {
    'si.heading': '登录', 'si.name': '用户名', 'si.password': '密码', 'si.submit': '登录', 'si.loading': '正在检查登录状态…',
    'si.wrong': '用户名或密码错误', 'si.locked': '登录失败次数过多，账号已锁定至 {0}', 'si.lockedNoTime': '账号已被锁定',
    'si.tooMany': '尝试次数过多，请在 {0} 秒后重试', 'si.tooManyNoTime': '尝试次数过多，请稍后重试', 'si.failed': '登录失败',
    'si.needName': '请输入用户名和密码',
    'si.changeHeading': '修改密码', 'si.mustChange': '首次登录或密码被重置后，必须先设置新密码。',
    'si.current': '当前密码', 'si.new': '新密码', 'si.repeat': '再次输入新密码', 'si.rule': '至少 10 个字符，且不能与原密码相同。',
    'si.changeSubmit': '修改密码', 'si.cancel': '取消', 'si.tooShort': '新密码至少需要 10 个字符', 'si.mismatch': '两次输入的新密码不一致',
    'si.same': '新密码不能与当前密码相同', 'si.currentWrong': '当前密码不正确', 'si.changeFailed': '修改密码失败', 'si.user': '用户：{0}（{1}）',
  },
  en: {
    'si.heading': 'Sign in', 'si.name': 'User name', 'si.password': 'Password', 'si.submit': 'Sign in', 'si.loading': 'Checking the session…',
    'si.wrong': 'Wrong user name or password', 'si.locked': 'Too many failed attempts: the account is locked until {0}', 'si.lockedNoTime': 'The account is locked',
    'si.tooMany': 'Too many attempts: retry after {0} s', 'si.tooManyNoTime': 'Too many attempts: retry later', 'si.failed': 'Sign-in failed',
    'si.needName': 'Enter your user name and password',
    'si.changeHeading': 'Change password', 'si.mustChange': 'After the first sign-in or a reset, you must set a new password first.',
    'si.current': 'Current password', 'si.new': 'New password', 'si.repeat': 'Repeat the new password', 'si.rule': 'At least 10 characters, not the same as the old one.',
    'si.changeSubmit': 'Change password', 'si.cancel': 'Cancel', 'si.tooShort': 'The new password needs at least 10 characters', 'si.mismatch': 'The two new passwords differ',
    'si.same': 'The new password must differ from the current one', 'si.currentWrong': 'The current password is wrong', 'si.changeFailed': 'Could not change the password',
    'si.user': 'User: {0} ({1})',
  },
});

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
/**
 * A deep link (/#device/ups-1, /#port/asw-a02:14, /#ticket/T000005) opened without a session: the server answers
 * 302 to /signin.html?returnUrl=/, and the browser carries the link's fragment over onto this page's URL (a redirect
 * without a fragment of its own keeps the original's). The fragment goes back onto the return URL, which is checked
 * again as a whole: a path on this server only.
 */
function withFragment(url) {
  if (url.includes('#') || !location.hash || location.hash === '#') return url;
  return safeReturnUrl(url + location.hash);
}

const returnUrl = withFragment(safeReturnUrl(params.get('returnUrl') ?? '/'));
const MIN_LENGTH = 10;

const page = { mode: 'loading', wantChange: params.get('change') === '1', forced: false, error: '', retryTimer: 0 };

const fill = (text, ...args) => args.reduce((s, a, i) => s.replaceAll(`{${i}}`, String(a)), text);

function timeOfDay(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleTimeString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** Shows an error in a form's error box: our sentence, then the server's own words when it said something else. */
function showError(boxId, text, serverText) {
  const box = $(boxId);
  page.error = text;
  box.replaceChildren();
  if (!text) {
    box.hidden = true;
    return;
  }
  const main = document.createElement('div');
  main.className = 'si-error-text';
  main.textContent = text;
  box.append(main);
  if (serverText && serverText !== text) {
    const detail = document.createElement('div');
    detail.className = 'si-error-server';
    detail.textContent = serverText;
    box.append(detail);
  }
  box.hidden = false;
}

const serverError = (body) => (body && typeof body === 'object' ? body.error ?? body.detail ?? body.title ?? '' : typeof body === 'string' ? body.slice(0, 200) : '');

function show(mode) {
  page.mode = mode;
  $('signin-loading').hidden = true;
  $('signin-form').hidden = mode !== 'signin';
  $('change-form').hidden = mode !== 'change';
  if (mode === 'signin') {
    $('signin-name').focus();
  } else if (mode === 'change') {
    const user = currentUser();
    $('change-note').hidden = !page.forced;
    $('change-cancel').hidden = page.forced;
    $('change-cancel').href = returnUrl;
    $('change-username').value = user?.name ?? '';
    $('change-user').textContent = user ? fill(t('si.user'), user.displayName || user.name, roleName(user.role)) : '';
    $('change-current').focus();
  }
}

function leave() {
  page.mode = 'leaving';
  location.replace(returnUrl);
}

/** POST with the anti-forgery token; a stale token (400 "antiforgery ...") is fetched again and the call retried once. */
async function post(path, body) {
  let answer = await send(path, { method: 'POST', body });
  if (answer.status === 400 && String(serverError(answer.body)).toLowerCase().includes('antiforgery')) {
    await loadSession();
    answer = await send(path, { method: 'POST', body });
  }
  return answer;
}

async function signIn(event) {
  event.preventDefault();
  const name = $('signin-name').value.trim();
  const password = $('signin-password').value;
  if (!name || !password) {
    showError('signin-error', t('si.needName'));
    return;
  }
  const submit = $('signin-submit');
  submit.disabled = true;
  let answer;
  try {
    answer = await post('/api/auth/signin', { name, password });
  } catch (error) {
    submit.disabled = false;
    showError('signin-error', `${t('si.failed')}: ${error.message}`);
    return;
  }
  const said = serverError(answer.body);
  if (answer.ok) {
    rememberAnswer(answer.body);
    $('signin-password').value = '';
    showError('signin-error', '');
    if (answer.body?.user?.mustChangePassword) {
      page.forced = true;
      submit.disabled = false;
      show('change');
    } else if (page.wantChange) {
      submit.disabled = false;
      show('change');
    } else {
      leave();
    }
    return;
  }
  $('signin-password').value = '';
  if (answer.status === 401) {
    submit.disabled = false;
    showError('signin-error', t('si.wrong'), said);
  } else if (answer.status === 423) {
    submit.disabled = false;
    const until = answer.body?.lockedUntil ? timeOfDay(answer.body.lockedUntil) : null;
    showError('signin-error', until ? fill(t('si.locked'), until) : t('si.lockedNoTime'), said);
  } else if (answer.status === 429) {
    const header = Number.parseInt(answer.headers.get('Retry-After') ?? '', 10);
    const seconds = Number.isFinite(header) ? header : Number(answer.body?.retryAfter ?? Number.NaN);
    if (Number.isFinite(seconds) && seconds > 0) {
      showError('signin-error', fill(t('si.tooMany'), Math.ceil(seconds)), said);
      // the button comes back when the server will listen again
      clearTimeout(page.retryTimer);
      page.retryTimer = setTimeout(() => {
        submit.disabled = false;
      }, Math.min(seconds, 3600) * 1000);
    } else {
      submit.disabled = false;
      showError('signin-error', t('si.tooManyNoTime'), said);
    }
  } else {
    submit.disabled = false;
    showError('signin-error', `${t('si.failed')}: ${said || `HTTP ${answer.status}`}`);
  }
}

async function changePassword(event) {
  event.preventDefault();
  const current = $('change-current').value;
  const next = $('change-new').value;
  const repeat = $('change-repeat').value;
  if (next.length < MIN_LENGTH) {
    showError('change-error', t('si.tooShort'));
    $('change-new').focus();
    return;
  }
  if (next !== repeat) {
    showError('change-error', t('si.mismatch'));
    $('change-repeat').focus();
    return;
  }
  if (next === current) {
    showError('change-error', t('si.same'));
    $('change-new').focus();
    return;
  }
  const submit = $('change-submit');
  submit.disabled = true;
  let answer;
  try {
    answer = await post('/api/auth/password', { current, new: next });
  } catch (error) {
    submit.disabled = false;
    showError('change-error', `${t('si.changeFailed')}: ${error.message}`);
    return;
  }
  submit.disabled = false;
  const said = serverError(answer.body);
  if (answer.ok) {
    rememberAnswer(answer.body);
    for (const id of ['change-current', 'change-new', 'change-repeat']) $(id).value = '';
    leave();
    return;
  }
  if (answer.status === 401) {
    // the session ended meanwhile: sign in again, then change
    page.wantChange = true;
    showError('signin-error', '');
    show('signin');
    return;
  }
  if (answer.status === 403) {
    showError('change-error', t('si.currentWrong'), said);
    $('change-current').value = '';
    $('change-current').focus();
    return;
  }
  if (answer.status === 400) {
    const field = answer.body?.field;
    showError('change-error', said || t('si.changeFailed'));
    const input = field === 'current' ? $('change-current') : field === 'new' ? $('change-new') : null;
    input?.focus();
    return;
  }
  showError('change-error', `${t('si.changeFailed')}: ${said || `HTTP ${answer.status}`}`);
}

function renderLanguage() {
  for (const b of document.querySelectorAll('.lang')) b.classList.toggle('active', b.dataset.lang === lang());
  document.title = `${t('si.heading')} · ${t('title')}`;
  if (page.mode === 'change') {
    const user = currentUser();
    $('change-user').textContent = user ? fill(t('si.user'), user.displayName || user.name, roleName(user.role)) : '';
  }
}

async function main() {
  if (params.get('lang')) setLanguage(params.get('lang'), false);
  applyTo(document);
  onLanguageChange(renderLanguage);
  renderLanguage();
  for (const b of document.querySelectorAll('.lang')) b.addEventListener('click', () => setLanguage(b.dataset.lang));
  $('signin-form').addEventListener('submit', signIn);
  $('change-form').addEventListener('submit', changePassword);
  $('change-sign-out').addEventListener('click', () => signOut());
  try {
    const { signedIn, user } = await loadSession();
    if (signedIn && user?.mustChangePassword) {
      page.forced = true;
      show('change');
    } else if (signedIn && page.wantChange) {
      show('change');
    } else if (signedIn) {
      leave();
      return;
    } else {
      show('signin');
    }
  } catch (error) {
    show('signin');
    showError('signin-error', `${t('si.failed')}: ${error.message}`);
  }
  renderLanguage();
  signinHooks.ready = true;
}

const signinHooks = expose('__signin', {
  ready: false,
  mode: () => page.mode,
  error: () => page.error,
  returnUrl: () => returnUrl,
});

main();
