// Phone and tablet layout of the console (phonewall): below 760 px the header folds into a menu (the menu button, body
// class `menu-open`), the side panel and the alarm list become bottom sheets (console.css; body class `sheet-open`
// while one is open, so the legend steps aside), touch orbits and pinch-zooms the room. `?compact=1` is the phone view
// the field page opens ("show me where"): the room and the device only, with a way back to the field page.
//
// Test hooks (only with the test flag): window.__layout = { sheetLayout(): boolean, menuOpen(): boolean, compact(): boolean }
import { t, addText, lang, onLanguageChange } from './i18n.js';
import { enableTouch, setBottomInset } from './scene.js';
import { expose } from './testhooks.js';

// phonewall strings
addText({
  zh: {
    'pw.menu': '菜单', 'pw.wall': '大屏模式', 'pw.backToField': '返回工单',
    'pw.noRoomTrainee': '还没有为您开放培训机房。学员只能看到标记为培训用途（training: true）的机房，请联系培训老师或管理员为您安排。',
    'pw.noRoom': '服务器上还没有配置机房（rooms/*.yaml），或您的账号无权查看任何机房。请联系管理员。',
    'pw.touchHint': '单指旋转 · 双指缩放/平移 · 点按设备查看详情',
  },
  en: {
    'pw.menu': 'Menu', 'pw.wall': 'Wall screen', 'pw.backToField': 'Back to my tickets',
    'pw.noRoomTrainee': 'No training room is open to you yet. Trainees see only rooms marked for training (training: true): ask your instructor or an administrator to set one up.',
    'pw.noRoom': 'No machine room is configured on this server (rooms/*.yaml), or your account may not see any. Ask an administrator.',
    'pw.touchHint': 'One finger orbits · two fingers zoom and pan · tap a device for details',
  },
});

const SHEET_QUERY = '(max-width: 760px)';
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

/** Panels are bottom sheets (a phone, or a tablet held upright). */
export const isSheetLayout = () => window.matchMedia(SHEET_QUERY).matches;

/** The text the console shows instead of a room when the server lists none to this user. */
export function noRoomExplanation(user) {
  return t(user?.role === 'trainee' ? 'pw.noRoomTrainee' : 'pw.noRoom');
}

function setMenu(open) {
  document.body.classList.toggle('menu-open', open);
  $('menu-toggle')?.setAttribute('aria-expanded', String(open));
}

/** The header's menu button: opens and closes the folded header; choosing anything in it closes it. */
export function wireMenu() {
  const toggle = $('menu-toggle');
  if (!toggle) return;
  toggle.addEventListener('click', () => setMenu(!document.body.classList.contains('menu-open')));
  for (const tab of document.querySelectorAll('#view-switch .view-tab')) tab.addEventListener('click', () => setMenu(false));
  for (const id of ['home', 'alarm-toggle', 'wall-toggle']) $(id)?.addEventListener('click', () => setMenu(false));
  $('search-results')?.addEventListener('mousedown', () => setTimeout(() => setMenu(false), 0));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') setMenu(false);
  });
  window.matchMedia(SHEET_QUERY).addEventListener('change', (e) => {
    if (!e.matches) setMenu(false);
  });
  if (params.get('compact') === '1') document.body.classList.add('compact');
  if (params.get('compact') === '1' && document.referrer.includes('/field.html')) {
    const back = $('back-to-field');
    if (back) back.href = document.referrer;
  }
}

/** Touch gestures on the room, and the body class `sheet-open` while the side panel or the alarm list is open. */
export function wireTouchLayout(scene) {
  enableTouch(scene);
  const sheets = ['panel', 'alarm-panel'].map($).filter(Boolean);
  const panel = $('panel');
  const sync = () => {
    document.body.classList.toggle('sheet-open', sheets.some((s) => !s.hidden));
    // the device the camera flies to stays above the device sheet
    setBottomInset(scene, panel && !panel.hidden && isSheetLayout() ? panel.offsetHeight : 0);
  };
  const observer = new MutationObserver(sync);
  for (const sheet of sheets) observer.observe(sheet, { attributes: true, attributeFilter: ['hidden'] });
  sync();
  // on a touch screen the hint speaks of fingers, not of a mouse
  if (window.matchMedia('(pointer: coarse)').matches) {
    const hint = document.querySelector('.hint');
    if (hint) {
      hint.setAttribute('data-i18n', 'pw.touchHint');
      hint.textContent = t('pw.touchHint');
      onLanguageChange(() => (hint.textContent = t('pw.touchHint')));
    }
  }
}

expose('__layout', {
  sheetLayout: () => isSheetLayout(),
  menuOpen: () => document.body.classList.contains('menu-open'),
  compact: () => document.body.classList.contains('compact'),
  lang: () => lang(),
});
