// The knowledge base (issue 23, branch "kb"): the articles an alarm's or a ticket's panel shows first (GET
// /api/kb/suggest, best first, with why), the KB view (#kb: search, read, write and edit for duty leads, versions),
// and "save the resolution as a draft" on a resolved ticket. Markdown is rendered into DOM nodes with textContent
// only: no raw HTML ever reaches the page, and the CSP stays as it is.
import { t, lang, addText } from './i18n.js';
import { can } from './session.js';
import { expose } from './testhooks.js';
import { el, api, fill, formatDateTime } from './toolkit.js';

addText({
  zh: {
    // the view tabs of kb.js and posture.js (posture.js loads only when its tab opens)
    'view.kb': '知识库', 'view.posture': '安全态势',
    'kb.title': '知识库', 'kb.suggested': '相关知识', 'kb.none': '暂无相关文章', 'kb.loading': '加载中…', 'kb.failed': '知识库加载失败',
    'kb.helpful': '有帮助', 'kb.thanks': '已记录，谢谢', 'kb.open': '阅读', 'kb.close': '收起',
    'kb.reason.rule': '告警规则', 'kb.reason.model': '设备型号', 'kb.reason.category': '工单类别', 'kb.reason.text': '文字匹配',
    'kb.search': '搜索知识库（中文三个字以上全文检索）', 'kb.find': '搜索', 'kb.new': '新建文章', 'kb.edit': '编辑', 'kb.save': '保存',
    'kb.cancel': '取消', 'kb.versions': '版本历史', 'kb.version': '版本 {0}', 'kb.draft': '草稿', 'kb.published': '已发布',
    'kb.publish': '发布', 'kb.titleZh': '标题（中文）', 'kb.titleEn': '标题（英文）', 'kb.bodyZh': '正文（中文，Markdown）',
    'kb.bodyEn': '正文（英文，Markdown）', 'kb.tags': '标签（逗号分隔）', 'kb.rules': '告警规则（逗号分隔）', 'kb.models': '设备型号（逗号分隔）',
    'kb.categories': '工单类别（逗号分隔）', 'kb.stale': '文章已被他人修改（当前版本 {0}），请重新打开后再改', 'kb.saveDraft': '存为知识库草稿',
    'kb.draftSaved': '已存为知识库草稿 #{0}', 'kb.results': '{0} 篇', 'kb.like': '一两个字的词按包含匹配', 'kb.by': '{0} 于 {1}',
  },
  en: {
    'view.kb': 'Knowledge', 'view.posture': 'Security',
    'kb.title': 'Knowledge base', 'kb.suggested': 'Related articles', 'kb.none': 'No related articles', 'kb.loading': 'Loading…', 'kb.failed': 'Knowledge base failed to load',
    'kb.helpful': 'Helpful', 'kb.thanks': 'Recorded, thank you', 'kb.open': 'Read', 'kb.close': 'Fold',
    'kb.reason.rule': 'alarm rule', 'kb.reason.model': 'device model', 'kb.reason.category': 'ticket category', 'kb.reason.text': 'text match',
    'kb.search': 'Search the knowledge base', 'kb.find': 'Search', 'kb.new': 'New article', 'kb.edit': 'Edit', 'kb.save': 'Save',
    'kb.cancel': 'Cancel', 'kb.versions': 'Versions', 'kb.version': 'Version {0}', 'kb.draft': 'Draft', 'kb.published': 'Published',
    'kb.publish': 'Publish', 'kb.titleZh': 'Title (Chinese)', 'kb.titleEn': 'Title (English)', 'kb.bodyZh': 'Body (Chinese, Markdown)',
    'kb.bodyEn': 'Body (English, Markdown)', 'kb.tags': 'Tags (comma-separated)', 'kb.rules': 'Alarm rules (comma-separated)', 'kb.models': 'Device models (comma-separated)',
    'kb.categories': 'Ticket categories (comma-separated)', 'kb.stale': 'Someone else changed the article (now version {0}): reopen it and edit again', 'kb.saveDraft': 'Save as KB draft',
    'kb.draftSaved': 'Saved as knowledge-base draft #{0}', 'kb.results': '{0} articles', 'kb.like': 'one- and two-character words match as substrings', 'kb.by': '{0} at {1}',
  },
});

const titleOf = (a) => (lang() === 'en' ? a.titleEn || a.titleZh : a.titleZh || a.titleEn);
const bodyOf = (a) => (lang() === 'en' ? a.bodyEn || a.bodyZh : a.bodyZh || a.bodyEn);
const list = (text) => String(text ?? '').split(/[,，]/).map((s) => s.trim()).filter(Boolean);

// ---------- Markdown, safely: a small subset (headings, lists, paragraphs, **bold**, `code`), as DOM nodes ----------

function inline(text) {
  const out = [];
  const pattern = /\*\*([^*]+)\*\*|`([^`]+)`/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[1] != null ? el('strong', {}, m[1]) : el('code', {}, m[2]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Markdown → a <div class="md"> built with createElement/textContent only. */
export function renderMarkdown(markdown) {
  const root = el('div', { class: 'md' });
  let listNode = null;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) root.append(el('p', {}, ...inline(paragraph.join(' '))));
    paragraph = [];
  };
  for (const raw of String(markdown ?? '').split('\n')) {
    const line = raw.trimEnd();
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      listNode = null;
      root.append(el(`h${Math.min(6, heading[1].length + 2)}`, {}, ...inline(heading[2])));
    } else if (bullet || numbered) {
      flush();
      const tag = bullet ? 'ul' : 'ol';
      if (!listNode || listNode.tagName.toLowerCase() !== tag) root.append((listNode = el(tag)));
      listNode.append(el('li', {}, ...inline((bullet ?? numbered)[1])));
    } else if (line.trim() === '') {
      flush();
      listNode = null;
    } else {
      listNode = null;
      paragraph.push(line.trim());
    }
  }
  flush();
  return root;
}

// ---------- suggestions in an alarm's or a ticket's panel ----------

const suggestions = new Map(); // "alarm:12" -> { node, articles }
const hooks = expose('__kb', { suggested: {}, drafts: [], view: null });

function reasonChip(reason) {
  const [kind, value] = reason.split(':');
  return el('span', { class: 'chip kb-reason', 'data-reason': kind, title: value ?? '' }, t(`kb.reason.${kind}`));
}

function articleItem(article, reasons, from) {
  const body = el('div', { class: 'kb-article-body', hidden: true });
  const item = el('li', { class: 'kb-suggestion', 'data-id': String(article.id), 'data-slug': article.slug ?? '' });
  const open = el('button', {
    type: 'button', class: 'btn small kb-open', onclick: async () => {
      body.hidden = !body.hidden;
      open.textContent = body.hidden ? t('kb.open') : t('kb.close');
      if (!body.hidden && !body.childElementCount) {
        const helpful = el('button', {
          type: 'button', class: 'btn small kb-helpful', onclick: async () => {
            await api.post(`/api/kb/articles/${article.id}/usage`, { ...from, helpful: true });
            helpful.replaceWith(el('span', { class: 'muted kb-thanks' }, t('kb.thanks')));
          },
        }, `👍 ${t('kb.helpful')}`);
        body.append(renderMarkdown(bodyOf(article)), helpful);
        // counted as opened from this alarm or ticket (the service report's knowledge part)
        api.post(`/api/kb/articles/${article.id}/usage`, from).catch(() => {});
      }
    },
  }, t('kb.open'));
  item.append(el('div', { class: 'kb-suggestion-head' }, el('span', { class: 'kb-title' }, titleOf(article)), ...reasons.map(reasonChip), open), body);
  return item;
}

/**
 * The "related articles" box of an alarm's (kind 'alarm') or a ticket's ('ticket') panel. The same node is answered
 * for the same alarm or ticket while the panel re-renders, so it loads once and keeps what the reader opened.
 */
export function kbSuggestions(kind, id) {
  const key = `${kind}:${id}`;
  const known = suggestions.get(key);
  if (known) return known.node;
  const listNode = el('ul', { class: 'kb-suggestions' }, el('li', { class: 'muted' }, t('kb.loading')));
  const node = el('section', { class: 'kb-box', id: `kb-${kind}-${id}`, 'data-kb': key }, el('h4', {}, `📖 ${t('kb.suggested')}`), listNode);
  suggestions.set(key, { node });
  api.get(`/api/kb/suggest?${kind}=${encodeURIComponent(id)}`).then((answer) => {
    const articles = answer.articles ?? [];
    hooks.suggested[key] = articles.map((s) => s.article.slug ?? String(s.article.id));
    listNode.replaceChildren(...(articles.length
      ? articles.map((s) => articleItem(s.article, s.reasons ?? [], { from: kind, id: Number(id) }))
      : [el('li', { class: 'muted' }, t('kb.none'))]));
  }).catch((error) => {
    suggestions.delete(key);
    listNode.replaceChildren(el('li', { class: 'error' }, `${t('kb.failed')}: ${error.message}`));
  });
  return node;
}

/** "Save as KB draft" for a resolved ticket (duty leads): one click, the server builds the draft from the resolution. */
const draftBoxes = new Map();

export function kbDraftButton(ticket) {
  if (!can('editKnowledge') || !ticket?.resolution) return null;
  // the same node for the same ticket while its panel re-renders (a hub update): a saved draft's link stays, and the
  // button does not come back enabled to save a second draft
  const known = draftBoxes.get(ticket.id);
  if (known) return known;
  const status = el('span', { class: 'muted kb-draft-status' });
  const button = el('button', {
    type: 'button', class: 'btn', id: 'ticket-save-kb-draft', onclick: async () => {
      button.disabled = true;
      try {
        const article = await api.post(`/api/kb/articles/from-ticket/${ticket.id}`);
        hooks.drafts.push(article.id);
        status.replaceChildren(el('a', { href: `#kb/${article.id}`, id: 'ticket-kb-draft-link' }, fill(t('kb.draftSaved'), article.id)));
      } catch (error) {
        button.disabled = false;
        status.textContent = error.message;
      }
    },
  }, `📖 ${t('kb.saveDraft')}`);
  const box = el('div', { class: 'kb-draft' }, button, status);
  draftBoxes.set(ticket.id, box);
  return box;
}

// ---------- the KB view (#kb, #kb/ID) ----------

const kb = { root: null, query: '', results: null, like: false, article: null, versions: null, editing: null, error: null };
hooks.view = kb;

export function show(root) {
  kb.root = root;
  const id = /^#kb\/(\d+)/.exec(location.hash)?.[1];
  if (id && Number(id) !== kb.article?.id) openArticle(Number(id));
  else if (!kb.results) search();
  render();
}

async function search() {
  try {
    const page = await api.get(`/api/kb/articles?pageSize=50&q=${encodeURIComponent(kb.query)}`);
    kb.results = page.items ?? [];
    kb.like = !!page.shortTermsByLike;
    kb.error = null;
  } catch (error) {
    kb.error = error.message;
  }
  render();
}

async function openArticle(id) {
  try {
    kb.article = await api.get(`/api/kb/articles/${id}`);
    kb.versions = null;
    kb.editing = null;
    kb.error = null;
  } catch (error) {
    kb.error = error.message;
  }
  render();
}

async function loadVersions() {
  kb.versions = await api.get(`/api/kb/articles/${kb.article.id}/versions`);
  render();
}

function editor(article) {
  const field = (name, value, area = false) => el('label', { class: 'kb-field' }, t(`kb.${name}`),
    area ? el('textarea', { name, rows: 10, value: value ?? '' }) : el('input', { name, type: 'text', value: value ?? '' }));
  const form = el('form', { class: 'kb-editor', id: 'kb-editor', onsubmit: (e) => e.preventDefault() },
    field('titleZh', article?.titleZh), field('titleEn', article?.titleEn), field('bodyZh', article?.bodyZh, true), field('bodyEn', article?.bodyEn, true),
    field('tags', (article?.tags ?? []).join(', ')), field('rules', (article?.rules ?? []).join(', ')), field('models', (article?.models ?? []).join(', ')),
    field('categories', (article?.categories ?? []).join(', ')),
    el('label', { class: 'kb-field' }, el('input', { type: 'checkbox', name: 'publish', checked: !article || article.status === 'published' }), t('kb.publish')));
  const value = (name) => form.elements[name].value;
  const save = async () => {
    const body = {
      titleZh: value('titleZh'), titleEn: value('titleEn'), bodyZh: value('bodyZh'), bodyEn: value('bodyEn'), tags: list(value('tags')),
      rules: list(value('rules')), models: list(value('models')), categories: list(value('categories')),
      status: form.elements.publish.checked ? 'published' : 'draft',
    };
    try {
      kb.article = article ? await api.put(`/api/kb/articles/${article.id}`, { ...body, version: article.version }) : await api.post('/api/kb/articles', body);
      kb.editing = null;
      kb.error = null;
      kb.results = null;
      location.hash = `#kb/${kb.article.id}`;
    } catch (error) {
      kb.error = error.status === 409 ? fill(t('kb.stale'), error.body?.currentVersion ?? '?') : error.message;
    }
    render();
  };
  form.append(el('div', { class: 'buttons' },
    el('button', { type: 'button', class: 'btn', onclick: () => { kb.editing = null; render(); } }, t('kb.cancel')),
    el('button', { type: 'button', class: 'btn primary', id: 'kb-save', onclick: save }, t('kb.save'))));
  return form;
}

function reader(article) {
  const versions = kb.versions
    ? el('ol', { class: 'kb-versions', id: 'kb-versions' }, ...kb.versions.map((v) => el('li', { 'data-version': String(v.version) },
      el('b', {}, fill(t('kb.version'), v.version)), ' ', fill(t('kb.by'), v.by, formatDateTime(v.at)), ' ', el('span', { class: 'muted' }, (v.changes ?? []).join(', ')))))
    : el('button', { type: 'button', class: 'btn small', id: 'kb-show-versions', onclick: loadVersions }, t('kb.versions'));
  return el('article', { class: 'kb-reader', id: 'kb-article', 'data-id': String(article.id), 'data-status': article.status },
    el('div', { class: 'kb-reader-head' },
      el('h2', {}, titleOf(article)),
      el('span', { class: `chip kb-status ${article.status}` }, t(`kb.${article.status}`)),
      el('span', { class: 'muted' }, `${fill(t('kb.version'), article.version)} · ${fill(t('kb.by'), article.updatedBy, formatDateTime(article.updatedAt))}`),
      can('editKnowledge') ? el('button', { type: 'button', class: 'btn small', id: 'kb-edit', onclick: () => { kb.editing = article; render(); } }, t('kb.edit')) : null),
    el('div', { class: 'kb-tags' }, ...[...article.tags, ...article.rules, ...article.models].map((tag) => el('span', { class: 'chip' }, tag))),
    renderMarkdown(bodyOf(article)),
    versions);
}

function render() {
  const root = kb.root;
  if (!root || root.hidden) return;
  const input = el('input', { type: 'search', id: 'kb-query', value: kb.query, placeholder: t('kb.search'), oninput: (e) => (kb.query = e.target.value), onkeydown: (e) => e.key === 'Enter' && search() });
  const side = el('div', { class: 'kb-list' },
    el('div', { class: 'kb-search' }, input, el('button', { type: 'button', class: 'btn', id: 'kb-find', onclick: search }, t('kb.find')),
      can('editKnowledge') ? el('button', { type: 'button', class: 'btn primary', id: 'kb-new', onclick: () => { kb.editing = 'new'; render(); } }, t('kb.new')) : null),
    kb.results ? el('div', { class: 'muted' }, fill(t('kb.results'), kb.results.length), kb.like ? ` · ${t('kb.like')}` : '') : null,
    el('ul', { class: 'kb-results', id: 'kb-results' }, ...(kb.results ?? []).map((a) => el('li', { 'data-id': String(a.id), 'data-slug': a.slug ?? '', class: a.status },
      el('a', { href: `#kb/${a.id}`, onclick: () => openArticle(a.id) }, titleOf(a)), a.status === 'draft' ? el('span', { class: 'chip kb-status draft' }, t('kb.draft')) : null))));
  const main = kb.editing ? editor(kb.editing === 'new' ? null : kb.editing) : kb.article ? reader(kb.article) : el('div', { class: 'muted' }, t('kb.title'));
  root.replaceChildren(el('div', { class: 'kb' }, side, el('div', { class: 'kb-main' }, kb.error ? el('div', { class: 'error', id: 'kb-error' }, kb.error) : null, main)));
}
