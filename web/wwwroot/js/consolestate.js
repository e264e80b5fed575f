// What the console's views share without importing each other (no circular imports): the host page's hooks (the
// room, showing a device), the view shown, and the `ticket` hub messages for whoever listens.

const VIEWS = ['room', 'tickets', 'dispatch', 'reports', 'admin', 'kb', 'posture'];

/** Set by app.js through initTicketConsole: { room, showDevice(id), selectedDeviceId() }. */
export const host = { room: null, showDevice: () => {}, selectedDeviceId: () => null };

/** The view shown: { name: 'room'|'tickets'|'dispatch'|'reports'|'admin', tab, ticketId }. */
export const view = { name: 'room', tab: 'list', ticketId: null };

const ticketListeners = new Set();
let hubMessages = 0;

/** Lets dispatch.js, reports.js and others hear `ticket` hub messages. */
export function onTicketMessage(fn) {
  ticketListeners.add(fn);
  return () => ticketListeners.delete(fn);
}

/** Hands a `ticket` hub message to every listener (the router calls it). */
export function deliverTicketMessage(message) {
  hubMessages++;
  for (const fn of ticketListeners) {
    try {
      fn(message);
    } catch (error) {
      console.warn('ticket listener', error);
    }
  }
}

/** `ticket` hub messages received so far. */
export const ticketMessages = () => hubMessages;

export function consoleHost() {
  return host;
}

/** Where the URL hash points: { name, tab?, ticketId?, device?, port? }; `tab` keeps the tickets view's tab for a ticket link. */
export function parseHash(tab = 'list') {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const [head, ...rest] = hash.split('/');
  const tail = rest.join('/');
  if (head === 'device' && tail) return { name: 'room', device: tail };
  // #port/DEVICE:PORT (the model's port index) and #ticket/ID: deep links (room3d)
  if (head === 'port' && tail.lastIndexOf(':') > 0) {
    const colon = tail.lastIndexOf(':');
    const port = Number(tail.slice(colon + 1));
    if (Number.isInteger(port) && port >= 0) return { name: 'room', device: tail.slice(0, colon), port };
  }
  if (head === 'ticket' && /^T?\d+$/i.test(tail)) {
    // by its number as people write it (T000005) or by id (5)
    return { name: 'tickets', tab: !tab || tab === 'new' ? 'list' : tab, ticketId: String(Number(tail.replace(/^T/i, ''))) };
  }
  if (head === 'tickets') {
    if (!tail) return { name: 'tickets', tab: 'list' };
    if (['new', 'callbacks', 'complaints', 'list'].includes(tail)) return { name: 'tickets', tab: tail };
    return { name: 'tickets', tab: !tab || tab === 'new' ? 'list' : tab, ticketId: tail };
  }
  if (VIEWS.includes(head)) return { name: head };
  return { name: 'room' };
}
