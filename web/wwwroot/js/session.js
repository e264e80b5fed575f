// The signed-in session, shared by every page: who is signed in (GET /api/auth/session), the anti-forgery token
// the server wants on every unsafe call (X-XSRF-TOKEN), and `api()`, the one way the pages call the REST API:
//   - sends and reads JSON, adds X-XSRF-TOKEN on POST/PUT/PATCH/DELETE, takes the new token an answer carries;
//   - 401: the session is gone, off to /signin.html?returnUrl=<this page>;
//   - 403 "password change required": off to /signin.html?change=1&returnUrl=<this page>;
//   - any other failure throws an ApiError carrying the status and the server's `error` text (a 403 says "not
//     allowed for your role", translated, for the page to show).
// `can(capability)` answers from the capabilities the server listed in the session answer (its role table, not a copy
// of it); it only hides or disables buttons: the server decides.
//
// Test hooks (only with the test flag, see testhooks.js):
//   window.__session = { ready: boolean, user(): { name, displayName, role, team }|null, can(action or capability): boolean }
import { t, addText } from './i18n.js';
import { expose } from './testhooks.js';

addText({
  zh: {
    'auth.role.administrator': '管理员', 'auth.role.dutyLead': '值班长', 'auth.role.operator': '值班员', 'auth.role.technician': '抢修人员',
    'auth.role.trainee': '学员', 'auth.role.viewer': '只读用户', 'auth.role.instructor': '教员',
    'auth.forbidden': '您的角色无权执行此操作', 'auth.signOut': '退出登录', 'auth.changePassword': '修改密码',
    'auth.signedInAs': '当前用户', 'auth.failed': '请求失败',
  },
  en: {
    'auth.role.administrator': 'Administrator', 'auth.role.dutyLead': 'Duty lead', 'auth.role.operator': 'Operator', 'auth.role.technician': 'Technician',
    'auth.role.trainee': 'Trainee', 'auth.role.viewer': 'Viewer', 'auth.role.instructor': 'Instructor',
    'auth.forbidden': 'Not allowed for your role', 'auth.signOut': 'Sign out', 'auth.changePassword': 'Change password',
    'auth.signedInAs': 'Signed in as', 'auth.failed': 'Request failed',
  },
});

export const ROLES = ['administrator', 'dutyLead', 'operator', 'technician', 'trainee', 'viewer', 'instructor'];

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PASSWORD_CHANGE = 'password change required';
const ANTIFORGERY_FAILED = 'antiforgery';

const session = { loaded: false, signedIn: false, user: null, token: null, capabilities: new Set() };

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** A returnUrl we may follow: a path on this origin ("/..." but not "//host" or "/\host"), else "/". */
export function safeReturnUrl(value) {
  if (typeof value !== 'string' || value.length === 0 || value[0] !== '/') return '/';
  if (value.length > 1 && (value[1] === '/' || value[1] === '\\')) return '/';
  // control characters (a tab or newline the URL parser drops could turn "/\t/host" into "//host")
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20 || value.charCodeAt(i) === 0x7f) return '/';
  try {
    const url = new URL(value, location.origin);
    if (url.origin !== location.origin) return '/';
    return url.pathname + url.search + url.hash;
  } catch {
    return '/';
  }
}

/** Where this page is, to come back to after signing in. */
export const here = () => `${location.pathname}${location.search}${location.hash}`;

export function signInUrl({ change = false, returnUrl = here() } = {}) {
  const q = new URLSearchParams();
  if (change) q.set('change', '1');
  q.set('returnUrl', safeReturnUrl(returnUrl));
  return `/signin.html?${q}`;
}

let leaving = false;
function leaveTo(url) {
  if (leaving) return;
  leaving = true;
  location.assign(url);
}

/** Sends the browser to the sign-in page (after a 401), remembering where it was. */
export const redirectToSignIn = () => leaveTo(signInUrl());
/** Sends the browser to the password change (the server answers 403 "password change required" until then). */
export const redirectToPasswordChange = () => leaveTo(signInUrl({ change: true }));

function take(answer) {
  if (answer && typeof answer === 'object' && typeof answer.antiforgery === 'string' && answer.antiforgery) session.token = answer.antiforgery;
}

function adopt(answer) {
  take(answer);
  if (answer && typeof answer === 'object' && 'user' in answer) {
    session.user = answer.user ?? null;
    session.signedIn = answer.signedIn ?? !!answer.user;
    session.capabilities = new Set(Array.isArray(answer.capabilities) ? answer.capabilities : []);
  }
  session.loaded = true;
  hooks.ready = true;
}

/** Reads GET /api/auth/session: { signedIn, user?, antiforgery }. Never redirects. */
export async function loadSession() {
  const response = await fetch('/api/auth/session', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, errorText(body) || `/api/auth/session: HTTP ${response.status}`, body);
  adopt({ signedIn: !!body?.signedIn, user: body?.user ?? null, capabilities: body?.capabilities, antiforgery: body?.antiforgery });
  return { signedIn: session.signedIn, user: session.user };
}

/**
 * For the pages behind sign-in: loads the session and leaves for the sign-in page (or the password change) when it
 * is not usable. Resolves with the user, or with null while the browser is leaving.
 */
export async function requireSession() {
  await loadSession();
  if (!session.signedIn || !session.user) {
    redirectToSignIn();
    return null;
  }
  if (session.user.mustChangePassword) {
    redirectToPasswordChange();
    return null;
  }
  return session.user;
}

export const currentUser = () => session.user;
export const antiforgeryToken = () => session.token;
/** Keeps the token a sign-in or password change answered (it replaces the one before). */
export const rememberAnswer = (answer) => adopt(answer);

async function readBody(response) {
  if (response.status === 204 || response.status === 205) return null;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) return response.json().catch(() => null);
  const text = await response.text().catch(() => '');
  return text || null;
}

function errorText(body) {
  if (body == null) return '';
  if (typeof body === 'string') return body.trim().slice(0, 300);
  return body.error || body.detail || body.title || body.message || '';
}

/**
 * One call to the API without the redirects: { status, ok, body, headers }. Adds the anti-forgery header on unsafe
 * methods; an answer carrying `antiforgery` replaces the token. The sign-in page uses it to read 401/423/429 itself.
 */
export async function send(path, { method = 'GET', body, headers = {} } = {}) {
  const verb = method.toUpperCase();
  const h = { Accept: 'application/json', ...headers };
  const init = { method: verb, headers: h, credentials: 'same-origin' };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(verb)) {
    if (!session.token) await loadSession().catch(() => {});
    if (session.token) h['X-XSRF-TOKEN'] = session.token;
  }
  const response = await fetch(path, init);
  const answer = await readBody(response);
  take(answer);
  return { status: response.status, ok: response.ok, body: answer, headers: response.headers };
}

/**
 * Calls the API and answers the JSON body (null for 204). 401 and 403 "password change required" leave for the sign-in
 * page (the promise then never settles); other failures throw an ApiError with the server's text.
 */
export async function api(path, options = {}) {
  let answer = await send(path, options);
  const verb = (options.method ?? 'GET').toUpperCase();
  // a stale token (signed in again in another tab, server restarted): read the session once more and retry once
  if (answer.status === 400 && UNSAFE.has(verb) && String(errorText(answer.body)).toLowerCase().includes(ANTIFORGERY_FAILED)) {
    await loadSession().catch(() => {});
    answer = await send(path, options);
  }
  if (answer.ok) return answer.body;
  const text = errorText(answer.body);
  if (answer.status === 401) {
    redirectToSignIn();
    return new Promise(() => {});
  }
  if (answer.status === 403 && String(text).toLowerCase() === PASSWORD_CHANGE) {
    redirectToPasswordChange();
    return new Promise(() => {});
  }
  if (answer.status === 403) {
    throw new ApiError(403, text ? `${t('auth.forbidden')} (${text})` : t('auth.forbidden'), answer.body);
  }
  throw new ApiError(answer.status, text || `${path}: HTTP ${answer.status}`, answer.body);
}

/**
 * The capability each of the console's action words needs: the one its endpoint requires (a vocabulary, not the role
 * table: who has which capability comes from the server). A capability name itself is accepted as well.
 */
const NEEDS = {
  ack: 'handleAlarms', shelve: 'handleAlarms', unshelve: 'handleAlarms', closeAlarm: 'handleAlarms',
  mute: 'silenceAlarms', maintenance: 'silenceAlarms',
  hotline: 'openTickets', intercept: 'openTickets', link: 'openTickets', note: 'noteTickets',
  dispatch: 'dispatchTickets', recall: 'dispatchTickets',
  receive: 'fieldSteps', accept: 'fieldSteps', depart: 'fieldSteps', arrive: 'fieldSteps', resolve: 'fieldSteps',
  callback: 'followUpTickets', complaint: 'followUpTickets', closeTicket: 'followUpTickets',
  admin: 'administer',
};

/**
 * May the signed-in user do this? A capability as the session answer lists them ('handleAlarms', 'silenceAlarms',
 * 'dispatchTickets', 'administer', ...) or an action word ('ack', 'mute', 'dispatch', ...), answered from the
 * capabilities the server sent. Only for hiding buttons: the server decides.
 */
export function can(action) {
  return !!session.user && session.capabilities.has(NEEDS[action] ?? action);
}

export const roleName = (role) => (role ? t(`auth.role.${role}`) : '');

/** Signs out (POST /api/auth/signout) and goes to the sign-in page. */
export async function signOut() {
  try {
    await send('/api/auth/signout', { method: 'POST' });
  } catch (error) {
    console.warn('sign out', error);
  }
  session.signedIn = false;
  session.user = null;
  leaveTo('/signin.html');
}

/**
 * Fills a header box with who is signed in, "change password" and "sign out". ids: { name, role, change, signOut,
 * who? (name · role · team, in the menu) } (element ids); the texts follow the language.
 */
export function renderUserBox(ids) {
  const user = session.user;
  const get = (id) => (id ? document.getElementById(id) : null);
  const name = get(ids.name);
  const role = get(ids.role);
  const change = get(ids.change);
  if (name) {
    name.textContent = user ? user.displayName || user.name : '';
    name.title = user ? `${t('auth.signedInAs')} ${user.name}` : '';
    name.dataset.user = user?.name ?? '';
  }
  if (role) {
    role.textContent = user ? roleName(user.role) : '';
    role.dataset.role = user?.role ?? '';
  }
  if (change) {
    change.textContent = t('auth.changePassword');
    change.href = signInUrl({ change: true });
  }
  const out = get(ids.signOut);
  if (out) out.textContent = t('auth.signOut');
  const who = get(ids.who);
  if (who) who.textContent = user ? `${user.name} · ${roleName(user.role)}${user.team ? ` · ${user.team}` : ''}` : '';
}

/**
 * Wires the "sign out" button and keeps the change-password link pointing back here (the hash changes). ids.menu: a
 * <details> holding them, closed again by a click elsewhere or Escape.
 */
export function wireUserBox(ids) {
  document.getElementById(ids.signOut)?.addEventListener('click', () => signOut());
  const menu = ids.menu ? document.getElementById(ids.menu) : null;
  if (menu) {
    document.addEventListener('click', (e) => {
      if (menu.open && !menu.contains(e.target)) menu.open = false;
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') menu.open = false;
    });
  }
  window.addEventListener('hashchange', () => {
    const change = document.getElementById(ids.change);
    if (change) change.href = signInUrl({ change: true });
  });
  renderUserBox(ids);
}

/** After a live connection failed: is the session still there? If not, off to the sign-in page. */
export async function checkStillSignedIn() {
  try {
    await loadSession();
  } catch {
    return true; // the server is unreachable, not a sign-out: keep retrying
  }
  if (!session.signedIn) {
    redirectToSignIn();
    return false;
  }
  if (session.user?.mustChangePassword) {
    redirectToPasswordChange();
    return false;
  }
  return true;
}

const hooks = expose('__session', {
  ready: false,
  user: () => (session.user ? { name: session.user.name, displayName: session.user.displayName, role: session.user.role, team: session.user.team ?? null } : null),
  can: (action) => can(action),
});
