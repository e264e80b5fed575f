// The full alarm view (the console's "Problems" page): one row per active alarm with severity, device, rack/U, port,
// message, a live age, who acknowledged it and its incident; sort by any column (click its header), filter by
// severity/room/state and a search over every column ("device:asw", "rack:A02", "port:17", "msg:电源", "by:li",
// "incident:12" search one column); rows of one incident fold into one expandable row when the server has incidents
// (/api/incidents; without it the incident column still shows the alarm's incidentId).
//
// Hundreds of rows: each alarm keeps its <tr> (keyed by id), a render only rewrites the rows whose alarm changed and
// moves rows that changed place; the age column is refreshed in place once a second.
//
// Select with the checkboxes (or Space), "acknowledge selected" / "acknowledge all shown" send one comment for all
// (POST /api/alarms/ack). Keyboard, while the view is open and no field has focus: ↑/↓ move, a acknowledges (the
// selection if any, else the current row), l locates the alarm in 3D, Enter opens its details with its event history
// (GET /api/alarms/{id}), Space selects, Esc closes the details.
import { t, lang } from './i18n.js';
import { SEVERITY_RANK as RANK } from './toolkit.js';
import { kbSuggestions } from './kb.js';

const $ = (id) => document.getElementById(id);
const DISPLAY_LIMIT = 1000;

/** Short duration: 45s, 12m, 3h 05m, 2d 4h. */
export function durationText(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const SEARCH_COLUMNS = { sev: 'severity', severity: 'severity', device: 'device', dev: 'device', rack: 'where', where: 'where', port: 'port', msg: 'message', message: 'message', by: 'ackBy', ack: 'ackBy', incident: 'incident', inc: 'incident', state: 'state' };

/**
 * deps: { alarms(): Map, isSilent(a), isAlerting(a), messageOf(a), deviceName(id), portName(deviceId, port), where(deviceId),
 * severityChip(sev), stateText(a), timeText(iso), can(capability), askAndRun(kind, alarm), ackMany(alarms), locate(a),
 * loadDetail(id) -> Promise<{ alarm, timeline }>, incidents(): Map|null, roomFilter }
 */
export function createAlarmView(deps) {
  const view = {
    open: false,
    sort: { key: 'severity', dir: -1 },
    filter: { severity: '', room: '', state: '', search: '' },
    selected: new Set(),
    expanded: new Set(), // incident ids unfolded
    cursor: null, // row key ('a:ID' or 'i:ID')
    rows: new Map(), // key -> { tr, alarm|incident, lang, ageCell }
    shown: [], // alarms after filters, in order
    keys: [], // row keys in order
    detailId: null,
    detail: null,
    lang: lang(),
  };

  const columns = [
    { key: 'select', label: '', sort: null },
    { key: 'severity', label: 'alarms.col.severity', sort: (a) => RANK[a.severity] * 1e13 + new Date(a.raisedAt).getTime() / 1e3 },
    { key: 'device', label: 'alarms.col.device', sort: (a) => deps.deviceName(a.target.deviceId).toLowerCase() },
    { key: 'where', label: 'alarms.col.where', sort: (a) => deps.where(a.target.deviceId) },
    { key: 'port', label: 'alarms.col.port', sort: (a) => a.target.port ?? -1 },
    { key: 'message', label: 'alarms.col.message', sort: (a) => deps.messageOf(a) },
    { key: 'age', label: 'alarms.col.age', sort: (a) => -new Date(a.raisedAt).getTime() },
    { key: 'time', label: 'alarms.col.time', sort: (a) => new Date(a.raisedAt).getTime() },
    { key: 'ackBy', label: 'alarms.col.ackBy', sort: (a) => a.acknowledgement?.by ?? '' },
    { key: 'incident', label: 'alarms.col.incident', sort: (a) => a.incidentId ?? -1 },
    { key: 'state', label: 'alarms.col.state', sort: (a) => `${a.state}${deps.isSilent(a) ? 'z' : ''}` },
    { key: 'actions', label: '', sort: null },
  ];
  const byKey = new Map(columns.map((c) => [c.key, c]));

  const textOf = {
    severity: (a) => `${a.severity} ${t(`sev.${a.severity}`)}`,
    device: (a) => `${deps.deviceName(a.target.deviceId)} ${a.target.deviceId}`,
    where: (a) => deps.where(a.target.deviceId),
    port: (a) => (a.target.port == null ? '' : `${a.target.port} ${deps.portName(a.target.deviceId, a.target.port)}`),
    message: (a) => `${a.message} ${a.messageEn ?? ''}`,
    ackBy: (a) => `${a.acknowledgement?.by ?? ''} ${a.acknowledgement?.comment ?? ''}`,
    incident: (a) => (a.incidentId == null ? '' : `#${a.incidentId} ${a.incidentId}`),
    state: (a) => deps.stateText(a),
  };

  function matches(a) {
    const { severity, room, state: wanted, search } = view.filter;
    if (severity && a.severity !== severity) return false;
    if (room && a.target.roomId !== room) return false;
    if (wanted && !(wanted === 'silent' ? deps.isSilent(a) : a.state === wanted && !(wanted === 'raised' && deps.isSilent(a)))) return false;
    for (const term of search.toLowerCase().split(/\s+/).filter(Boolean)) {
      const colon = term.indexOf(':');
      const column = colon > 0 ? SEARCH_COLUMNS[term.slice(0, colon)] : undefined;
      if (column) {
        if (!textOf[column](a).toLowerCase().includes(term.slice(colon + 1))) return false;
      } else if (!Object.values(textOf).some((f) => f(a).toLowerCase().includes(term))) {
        return false;
      }
    }
    return true;
  }

  function sortedFiltered() {
    const column = byKey.get(view.sort.key) ?? byKey.get('severity');
    const dir = view.sort.dir;
    const list = [...deps.alarms().values()].filter(matches);
    const keyed = list.map((a) => [column.sort(a), a]);
    keyed.sort(([x, a], [y, b]) => (x < y ? -1 : x > y ? 1 : 0) * dir || b.id - a.id);
    return keyed.map(([, a]) => a);
  }

  // ---------- building rows ----------

  function cell(content, className) {
    const td = document.createElement('td');
    if (className) td.className = className;
    if (content instanceof Node) td.append(content);
    else td.textContent = content ?? '';
    return td;
  }

  function actionButton(text, action, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn small';
    b.dataset.action = action;
    b.textContent = text;
    b.addEventListener('click', onClick);
    return b;
  }

  function ageText(a, now) {
    if (a.state === 'cleared' && a.clearedAt) return `${durationText(new Date(a.clearedAt) - new Date(a.raisedAt))} ✓`;
    return durationText(now - new Date(a.raisedAt).getTime());
  }

  function alarmRow(a, now, member) {
    const tr = document.createElement('tr');
    tr.dataset.alarmId = a.id;
    tr.dataset.key = `a:${a.id}`;
    tr.className = ['alarm-row', deps.isAlerting(a) ? 'alerting' : '', deps.isSilent(a) ? 'silent' : '', member ? 'member' : ''].filter(Boolean).join(' ');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'alarm-select';
    box.checked = view.selected.has(a.id);
    box.setAttribute('aria-label', t('alarms.select'));
    box.addEventListener('change', () => {
      if (box.checked) view.selected.add(a.id);
      else view.selected.delete(a.id);
      tr.classList.toggle('selected', box.checked);
      renderBulk();
    });
    const port = a.target.port == null ? '' : deps.portName(a.target.deviceId, a.target.port);
    const message = deps.messageOf(a)
      + (a.suppressedBy != null ? ` (${t('alarms.suppressedBy')} #${a.suppressedBy})` : '')
      + (a.suppresses?.length ? ` (${t('alarms.suppresses').replace('{n}', a.suppresses.length)})` : '');
    const age = cell(ageText(a, now), 'age');
    age.title = deps.timeText(a.raisedAt);
    const ack = a.acknowledgement ? `${a.acknowledgement.by}` : '';
    const ackCell = cell(ack, 'ack-by');
    if (a.acknowledgement?.comment) ackCell.title = a.acknowledgement.comment;
    const actions = cell('', 'actions');
    if (!a.acknowledgement && a.state !== 'closed' && deps.can('handleAlarms')) actions.append(actionButton(t('alarms.ack'), 'ack', () => deps.askAndRun('ack', a)));
    if (a.shelving) {
      if (deps.can('handleAlarms')) actions.append(actionButton(t('alarms.unshelve'), 'unshelve', () => deps.askAndRun('unshelve', a)));
    } else if (a.state !== 'closed' && deps.can('handleAlarms')) {
      actions.append(actionButton(t('alarms.shelve'), 'shelve', () => deps.askAndRun('shelve', a)));
    }
    tr.append(
      cell(box, 'select'),
      cell(deps.severityChip(a.severity), 'severity'),
      cell(deps.deviceName(a.target.deviceId), 'device'),
      cell(deps.where(a.target.deviceId), 'where'),
      cell(port, 'port'),
      cell(message, 'message'),
      age,
      cell(deps.timeText(a.raisedAt), 'time'),
      ackCell,
      cell(a.incidentId == null ? '' : `#${a.incidentId}`, 'incident'),
      cell(deps.stateText(a), 'state'),
      actions,
    );
    if (view.selected.has(a.id)) tr.classList.add('selected');
    tr.addEventListener('click', (e) => {
      if (e.target.closest('button, input')) return;
      setCursor(`a:${a.id}`);
      deps.locate(a);
    });
    tr.addEventListener('dblclick', () => openDetail(a.id));
    return { tr, item: a, lang: lang(), ageCell: age, alarm: a };
  }

  function incidentRow(incident, members, now) {
    const tr = document.createElement('tr');
    tr.dataset.incidentId = incident.id;
    tr.dataset.key = `i:${incident.id}`;
    tr.className = 'incident-row';
    tr.dataset.start = incident.start ?? members[0].raisedAt;
    const open = view.expanded.has(incident.id);
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'btn small incident-toggle';
    toggle.dataset.action = 'expand';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? '▾' : '▸';
    toggle.addEventListener('click', () => toggleIncident(incident.id));
    const title = (lang() === 'en' ? incident.titleEn ?? incident.title : incident.title) ?? `#${incident.id}`;
    const devices = new Set(members.map((a) => a.target.deviceId));
    const age = cell(durationText(now - new Date(tr.dataset.start).getTime()), 'age');
    const td = (c, k) => cell(c, k);
    tr.append(
      td(toggle, 'select'),
      td(deps.severityChip(incident.severity ?? members[0].severity), 'severity'),
      td(`${devices.size} ${t('alarms.devices')}`, 'device'),
      td('', 'where'),
      td('', 'port'),
      td(`${title} · ${t('alarms.incidentAlarms').replace('{n}', members.length)}`, 'message'),
      age,
      td(deps.timeText(tr.dataset.start), 'time'),
      td(`${members.filter((a) => a.acknowledgement).length}/${members.length}`, 'ack-by'),
      td(`#${incident.id}${incident.ticketId ? ` · ${incident.ticketId}` : ''}`, 'incident'),
      td('', 'state'),
      td('', 'actions'),
    );
    tr.addEventListener('click', (e) => {
      if (e.target.closest('button')) return;
      setCursor(`i:${incident.id}`);
    });
    return { tr, item: incident, lang: lang(), ageCell: age, members, open, incident };
  }

  // ---------- render ----------

  /** The rows to show, in order: [key, build()] (alarms, and incidents folded when /api/incidents answers). */
  function plan(list) {
    const incidents = deps.incidents();
    const groups = new Map();
    if (incidents) {
      for (const a of list) {
        if (a.incidentId == null || !incidents.has(a.incidentId)) continue;
        const g = groups.get(a.incidentId) ?? [];
        g.push(a);
        groups.set(a.incidentId, g);
      }
    }
    const out = [];
    const done = new Set();
    for (const a of list) {
      const g = a.incidentId != null ? groups.get(a.incidentId) : undefined;
      if (!g || g.length < 2) {
        out.push({ key: `a:${a.id}`, alarm: a });
        continue;
      }
      if (done.has(a.incidentId)) continue;
      done.add(a.incidentId);
      out.push({ key: `i:${a.incidentId}`, incident: incidents.get(a.incidentId), members: g });
      if (view.expanded.has(a.incidentId)) for (const m of g) out.push({ key: `a:${m.id}`, alarm: m, member: true });
    }
    return out;
  }

  /** An incident row shows its alarms' count, acknowledgements and devices: rebuilt when any of them changed (the hub sends a new object). */
  function membersChanged(before, now) {
    return !before || before.length !== now.length || now.some((a, i) => before[i] !== a);
  }

  function render() {
    if (!view.open) return;
    const now = Date.now();
    const list = sortedFiltered();
    view.shown = list;
    const planned = plan(list).slice(0, DISPLAY_LIMIT);
    const tbody = $('alarm-rows');
    const wanted = new Set(planned.map((p) => p.key));
    for (const [key, row] of view.rows) {
      if (!wanted.has(key)) {
        row.tr.remove();
        view.rows.delete(key);
      }
    }
    let previous = null;
    for (const p of planned) {
      let row = view.rows.get(p.key);
      const stale = !row || row.lang !== lang()
        || (p.alarm && (row.alarm !== p.alarm || row.tr.classList.contains('member') !== !!p.member))
        || (p.incident && (row.incident !== p.incident || membersChanged(row.members, p.members) || row.open !== view.expanded.has(p.incident.id)));
      if (stale) {
        const built = p.alarm ? alarmRow(p.alarm, now, p.member) : incidentRow(p.incident, p.members, now);
        if (row) row.tr.replaceWith(built.tr);
        row = built;
        view.rows.set(p.key, row);
      }
      row.tr.classList.toggle('cursor', view.cursor === p.key);
      // keep the DOM order = planned order, moving only the rows out of place
      const expectedNext = previous ? previous.nextSibling : tbody.firstChild;
      if (expectedNext !== row.tr) tbody.insertBefore(row.tr, expectedNext);
      previous = row.tr;
    }
    view.keys = planned.map((p) => p.key);
    if (view.cursor && !wanted.has(view.cursor)) view.cursor = null;
    for (const id of [...view.selected]) if (!deps.alarms().has(id)) view.selected.delete(id);
    $('alarm-empty').hidden = list.length > 0;
    $('alarm-empty').textContent = deps.alarms().size > 0 ? t('alarms.noneMatch') : t('alarms.none');
    renderHead();
    renderBulk();
    renderCounts();
    if (view.detailId != null) renderDetail();
  }

  function tickAges() {
    if (!view.open) return;
    const now = Date.now();
    for (const row of view.rows.values()) {
      const text = row.alarm ? ageText(row.alarm, now) : durationText(now - new Date(row.tr.dataset.start).getTime());
      if (row.ageCell.textContent !== text) row.ageCell.textContent = text;
    }
  }

  function renderHead() {
    const head = $('alarm-head-row');
    if (!head) return;
    if (head.dataset.lang !== lang()) {
      head.dataset.lang = lang();
      head.replaceChildren(...columns.map((c) => {
        const th = document.createElement('th');
        th.className = `col-${c.key}`;
        if (c.key === 'select') {
          const all = document.createElement('input');
          all.type = 'checkbox';
          all.id = 'alarm-select-all';
          all.setAttribute('aria-label', t('alarms.selectAll'));
          all.addEventListener('change', () => {
            if (all.checked) for (const a of view.shown) view.selected.add(a.id);
            else view.selected.clear();
            rebuildSelection();
          });
          th.append(all);
        } else if (c.sort) {
          th.dataset.sort = c.key;
          th.textContent = t(c.label);
          th.tabIndex = 0;
          th.addEventListener('click', () => sortBy(c.key));
        } else {
          th.textContent = c.label ? t(c.label) : '';
        }
        return th;
      }));
    }
    for (const th of head.querySelectorAll('th[data-sort]')) {
      const on = th.dataset.sort === view.sort.key;
      th.classList.toggle('sorted', on);
      th.dataset.dir = on ? (view.sort.dir > 0 ? 'asc' : 'desc') : '';
      th.setAttribute('aria-sort', on ? (view.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    const all = $('alarm-select-all');
    if (all) {
      const n = view.shown.filter((a) => view.selected.has(a.id)).length;
      all.checked = n > 0 && n === view.shown.length;
      all.indeterminate = n > 0 && n < view.shown.length;
    }
  }

  function sortBy(key) {
    view.sort = view.sort.key === key ? { key, dir: -view.sort.dir } : { key, dir: ['device', 'where', 'port', 'message', 'ackBy'].includes(key) ? 1 : -1 };
    render();
  }

  function rebuildSelection() {
    for (const row of view.rows.values()) {
      if (!row.alarm) continue;
      const on = view.selected.has(row.alarm.id);
      row.tr.classList.toggle('selected', on);
      const box = row.tr.querySelector('input.alarm-select');
      if (box) box.checked = on;
    }
    renderHead();
    renderBulk();
  }

  function selectedAlarms() {
    return [...view.selected].map((id) => deps.alarms().get(id)).filter((a) => a && !a.acknowledgement && a.state !== 'closed');
  }

  function renderBulk() {
    const bar = $('alarm-bulk');
    if (!bar) return;
    const selected = selectedAlarms();
    const shownUnacked = view.shown.filter((a) => !a.acknowledgement && a.state !== 'closed');
    $('alarm-bulk-count').textContent = t('alarms.selectedN').replace('{n}', view.selected.size);
    const ackSelected = $('alarm-ack-selected');
    ackSelected.disabled = selected.length === 0 || !deps.can('handleAlarms');
    ackSelected.textContent = t('alarms.ackSelected').replace('{n}', selected.length);
    const ackShown = $('alarm-ack-shown');
    ackShown.disabled = shownUnacked.length === 0 || !deps.can('handleAlarms');
    ackShown.textContent = t('alarms.ackShown').replace('{n}', shownUnacked.length);
  }

  function renderCounts() {
    const box = $('alarm-counts');
    if (!box) return;
    const counts = { critical: 0, major: 0, minor: 0, warning: 0 };
    for (const a of deps.alarms().values()) if (a.severity in counts && deps.isAlerting(a)) counts[a.severity]++;
    box.replaceChildren(...Object.entries(counts).map(([sev, n]) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `count-chip${view.filter.severity === sev ? ' active' : ''}`;
      b.dataset.severity = sev;
      b.title = t('alarms.filterSeverity');
      const chip = deps.severityChip(sev);
      chip.textContent = `${t(`sev.${sev}`)} ${n}`;
      b.append(chip);
      b.addEventListener('click', () => {
        view.filter.severity = view.filter.severity === sev ? '' : sev;
        $('alarm-filter-severity').value = view.filter.severity;
        render();
      });
      return b;
    }));
  }

  // ---------- cursor, keyboard ----------

  function setCursor(key) {
    if (view.cursor && view.rows.get(view.cursor)) view.rows.get(view.cursor).tr.classList.remove('cursor');
    view.cursor = key;
    const row = key ? view.rows.get(key) : null;
    if (row) {
      row.tr.classList.add('cursor');
      row.tr.scrollIntoView({ block: 'nearest' });
    }
  }

  function cursorAlarm() {
    if (!view.cursor?.startsWith('a:')) return null;
    return deps.alarms().get(Number(view.cursor.slice(2))) ?? null;
  }

  function toggleIncident(id) {
    if (view.expanded.has(id)) view.expanded.delete(id);
    else view.expanded.add(id);
    render();
  }

  function onKey(e) {
    if (!view.open || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest?.('input:not(.alarm-select), textarea, select, dialog, [contenteditable="true"]')) return;
    if (document.querySelector('dialog[open]')) return;
    const index = view.cursor ? view.keys.indexOf(view.cursor) : -1;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        if (view.keys.length === 0) return;
        const next = e.key === 'ArrowDown' ? Math.min(view.keys.length - 1, index + 1) : Math.max(0, index < 0 ? 0 : index - 1);
        setCursor(view.keys[next]);
        break;
      }
      case 'a': {
        const selected = selectedAlarms();
        if (selected.length > 0) deps.ackMany(selected);
        else if (cursorAlarm() && !cursorAlarm().acknowledgement) deps.askAndRun('ack', cursorAlarm());
        else return;
        break;
      }
      case 'l': {
        const a = cursorAlarm();
        if (!a) return;
        deps.locate(a);
        break;
      }
      case 'Enter': {
        if (view.cursor?.startsWith('i:')) toggleIncident(Number(view.cursor.slice(2)));
        else if (cursorAlarm()) openDetail(cursorAlarm().id);
        else return;
        break;
      }
      case ' ': {
        const a = cursorAlarm();
        if (!a) return;
        if (view.selected.has(a.id)) view.selected.delete(a.id);
        else view.selected.add(a.id);
        rebuildSelection();
        break;
      }
      case 'Escape':
        if (view.detailId == null) return;
        closeDetail();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  // ---------- details: the alarm's event history ----------

  async function openDetail(id) {
    view.detailId = id;
    view.detail = null;
    $('alarm-detail').hidden = false;
    renderDetail();
    try {
      const detail = await deps.loadDetail(id);
      if (view.detailId === id) {
        view.detail = detail;
        renderDetail();
      }
    } catch (error) {
      if (view.detailId === id) {
        view.detail = { error: error.message };
        renderDetail();
      }
    }
  }

  function closeDetail() {
    view.detailId = null;
    view.detail = null;
    $('alarm-detail').hidden = true;
  }

  /** The timeline as events a person reads: raised, acknowledged, shelved, unshelved, suppressed, joined incident, ... */
  function historyOf(timeline) {
    const out = [];
    let before = null;
    for (const e of timeline) {
      const a = e.alarm ?? {};
      const kind = String(e.kind);
      if (kind === 'updated' && before) {
        if (a.shelving && !before.shelving) out.push({ kind: 'shelved', at: e.at, by: a.shelving.by, text: a.shelving.reason });
        if (!a.shelving && before.shelving) out.push({ kind: 'unshelved', at: e.at });
        if (a.incidentId != null && a.incidentId !== before.incidentId) out.push({ kind: 'joinedIncident', at: e.at, text: `#${a.incidentId}` });
        if (a.suppressedBy != null && before.suppressedBy == null) out.push({ kind: 'suppressed', at: e.at, text: `#${a.suppressedBy}` });
        if (a.severity !== before.severity) out.push({ kind: 'severity', at: e.at, text: `${t(`sev.${before.severity}`)} → ${t(`sev.${a.severity}`)}` });
        if (!!a.inMaintenance !== !!before.inMaintenance) out.push({ kind: a.inMaintenance ? 'maintenance' : 'maintenanceEnded', at: e.at });
      } else if (kind === 'acknowledged') {
        out.push({ kind, at: e.at, by: a.acknowledgement?.by, text: a.acknowledgement?.comment });
      } else if (kind !== 'updated') {
        out.push({ kind, at: e.at });
        if (kind === 'raised' && a.incidentId != null) out.push({ kind: 'joinedIncident', at: e.at, text: `#${a.incidentId}` });
      }
      before = a;
    }
    return out;
  }

  function renderDetail() {
    const box = $('alarm-detail');
    const a = deps.alarms().get(view.detailId) ?? view.detail?.alarm;
    const head = document.createElement('div');
    head.className = 'alarm-detail-head';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn icon';
    close.id = 'alarm-detail-close';
    close.title = t('close');
    close.textContent = '×';
    close.addEventListener('click', closeDetail);
    const title = document.createElement('h3');
    title.textContent = a ? deps.messageOf(a) : `#${view.detailId}`;
    head.append(...(a ? [deps.severityChip(a.severity)] : []), title, close);
    const facts = document.createElement('dl');
    if (a) {
      const port = a.target.port == null ? '—' : deps.portName(a.target.deviceId, a.target.port);
      for (const [k, v] of [['alarms.col.device', deps.deviceName(a.target.deviceId)], ['alarms.col.where', deps.where(a.target.deviceId) || '—'],
        ['alarms.col.port', port], ['alarms.col.time', deps.timeText(a.raisedAt)], ['alarms.col.state', deps.stateText(a)],
        ['alarms.col.incident', a.incidentId == null ? '—' : `#${a.incidentId}`], ['alarms.rule', a.ruleId]]) {
        const dt = document.createElement('dt');
        dt.textContent = t(k);
        const dd = document.createElement('dd');
        dd.textContent = v;
        facts.append(dt, dd);
      }
    }
    const h = document.createElement('h4');
    h.textContent = t('alarms.history');
    const list = document.createElement('ol');
    list.id = 'alarm-history';
    list.className = 'alarm-history';
    if (!view.detail) {
      list.append(Object.assign(document.createElement('li'), { textContent: t('loading') }));
    } else if (view.detail.error) {
      list.append(Object.assign(document.createElement('li'), { textContent: `${t('alarms.failed')}: ${view.detail.error}` }));
    } else {
      for (const item of historyOf(view.detail.timeline ?? [])) {
        const li = document.createElement('li');
        li.dataset.kind = item.kind;
        const when = document.createElement('time');
        when.textContent = deps.timeText(item.at);
        const what = document.createElement('span');
        what.className = 'what';
        what.textContent = t(`alarms.event.${item.kind}`) === `alarms.event.${item.kind}` ? item.kind : t(`alarms.event.${item.kind}`);
        li.append(when, what);
        if (item.by) li.append(Object.assign(document.createElement('span'), { className: 'by', textContent: item.by }));
        if (item.text) li.append(Object.assign(document.createElement('span'), { className: 'text', textContent: item.text }));
        list.append(li);
      }
    }
    // branch "kb": the matching knowledge-base articles first
    box.replaceChildren(head, kbSuggestions('alarm', view.detailId), facts, h, list);
  }

  // ---------- wiring ----------

  function setOpen(open) {
    view.open = open;
    if (open) render();
    else closeDetail();
  }

  function setFilter(key, value) {
    view.filter[key] = value;
    render();
  }

  function refreshDetail() {
    if (view.detailId != null) openDetail(view.detailId);
  }

  document.addEventListener('keydown', onKey);
  setInterval(tickAges, 1000);
  return {
    view, render, setOpen, setFilter, sortBy, openDetail, closeDetail, refreshDetail, setCursor,
    clearSelection: () => {
      view.selected.clear();
      rebuildSelection();
    },
    history: () => (view.detail?.timeline ? historyOf(view.detail.timeline).map((e) => e.kind) : null),
  };
}
