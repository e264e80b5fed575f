// The console's router: the view switcher (room | tickets | dispatch | reports | admin, by URL hash) and the live
// hub's ticket messages. The views are modules of their own: the tickets view (ticketsview.js), the dispatch board
// (dispatch.js), the reports (reports.js), the administration (admin.js); the shared pieces are in toolkit.js (element
// helper, REST client, formatting, severity ranking), ticketkit.js (the ticket as the API answers it) and
// consolestate.js (what the views share). Nothing imports this module but app.js: no circular imports
// (web/scripts/check-imports.mjs checks it).
import { onLanguageChange, applyTo } from './i18n.js';
import { host, view, parseHash, onTicketMessage, deliverTicketMessage } from './consolestate.js';
import { tickets } from './ticketsview.js';

const loaded = new Map(); // view name -> module with show()/hide()

async function route() {
  const target = parseHash(tickets.tab);
  view.name = target.name;
  for (const tab of document.querySelectorAll('#view-switch .view-tab')) tab.classList.toggle('active', tab.dataset.view === target.name);
  for (const section of document.querySelectorAll('section.view')) section.hidden = section.dataset.view !== target.name;
  document.body.dataset.view = target.name;
  if (target.name === 'room') {
    if (target.device) host.showDevice(target.device, target.port ?? null);
    return;
  }
  if (target.name === 'tickets') {
    tickets.show(target);
    return;
  }
  let module = loaded.get(target.name);
  if (!module) {
    if (target.name === 'dispatch') module = await import('./dispatch.js');
    else if (target.name === 'admin') module = await import('./admin.js');
    else if (target.name === 'kb') module = await import('./kb.js'); // branch "kb"
    else if (target.name === 'posture') module = await import('./posture.js'); // branch "kb"
    else module = await import('./reports.js');
    loaded.set(target.name, module);
  }
  if (view.name === target.name) module.show(document.getElementById(`view-${target.name}`));
}

/** Called by app.js once the room is drawn. */
export function initTicketConsole(options) {
  Object.assign(host, options);
  window.addEventListener('hashchange', route);
  // a device chosen in the top bar's search is shown in the room, whatever view is open
  const toRoom = () => {
    if (view.name !== 'room') location.hash = '#room';
  };
  document.getElementById('search-results')?.addEventListener('mousedown', toRoom, true);
  document.getElementById('search')?.addEventListener('keydown', (e) => e.key === 'Enter' && toRoom(), true);
  onLanguageChange(() => {
    if (view.name === 'tickets') tickets.render();
    else if (view.name !== 'room') loaded.get(view.name)?.show(document.getElementById(`view-${view.name}`));
  });
  route();
}

/** Called by app.js with the live hub before it starts: ticket messages update whatever view shows them. */
export function attachTicketHub(hub) {
  onTicketMessage((message) => tickets.onMessage(message));
  hub.on('ticket', (message) => deliverTicketMessage(message));
  hub.onreconnected(() => tickets.refresh());
  // the server dropped messages this console was too slow to read (ticket events among them): read again
  hub.on('resync', () => tickets.refresh());
}

export { applyTo };
