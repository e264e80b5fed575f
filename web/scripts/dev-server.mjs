// Development server for working on the console without the real server: serves wwwroot and answers
// GET /api/auth/session (a viewer), /api/rooms, /api/rooms/{id}, /api/devices/{id} and /api/search from fixtures/room.json.
// No hub: the console shows "disconnected" and works otherwise. Usage: node scripts/dev-server.mjs [port]
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(web, 'wwwroot');
const room = JSON.parse(readFileSync(join(web, 'fixtures', 'room.json'), 'utf8'));
const port = Number(process.argv[2] ?? 5088);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };
const models = new Map(room.models.map((m) => [m.id, m]));

function summary() {
  return [{ id: room.id, name: room.name, nameEn: room.nameEn, site: room.site, rackCount: room.racks.length, deviceCount: room.devices.length, status: 'ok' }];
}

function device(id) {
  const d = room.devices.find((x) => x.id === id);
  if (!d) return null;
  const m = models.get(d.model);
  const now = new Date().toISOString();
  const values = d.kind === 'sensor'
    ? [{ metric: 'env.temperature', value: 23.4, timestamp: now, unit: '°C', label: 'Temperature', labelZh: '温度', status: 'ok' },
       { metric: 'env.humidity', value: 46, timestamp: now, unit: '%', label: 'Humidity', labelZh: '湿度', status: 'ok' }]
    : [{ metric: 'cpu.usage', value: 37.5, timestamp: now, unit: '%', label: 'CPU usage', labelZh: 'CPU 使用率', status: 'ok' },
       { metric: 'mem.used_percent', value: 61.2, timestamp: now, unit: '%', label: 'Memory usage', labelZh: '内存使用率', status: 'ok' }];
  return {
    id: d.id, name: d.name, room: room.id, rack: d.rack, u: d.u, face: d.face, address: d.address, assetTag: d.assetTag,
    role: d.role, profile: null, status: d.status, model: { id: m.id, name: m.name, vendor: m.vendor, kind: m.kind }, values,
    ports: m.ports.map((p, k) => ({ index: p.index, name: p.name, kind: p.kind, status: d.portStatus[k],
      values: [{ metric: 'interface.in_bps', value: 1.2e6 * (k + 1), timestamp: now, unit: 'bps', label: 'In', labelZh: '入流量', status: 'ok' }] })),
  };
}

function json(res, body, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const path = decodeURIComponent(url.pathname);
  // no server, no sign-in: the fixture's visitor is a viewer (read only), so the console draws the room
  if (path === '/api/auth/session') {
    return json(res, { signedIn: true, antiforgery: 'dev', user: { name: 'dev', displayName: 'Developer', role: 'viewer', team: null, mustChangePassword: false } });
  }
  if (path === '/api/rooms') return json(res, summary());
  if (path === `/api/rooms/${room.id}`) return json(res, room);
  if (path.startsWith('/api/devices/')) {
    const d = device(path.slice('/api/devices/'.length));
    return d ? json(res, d) : json(res, { title: 'not found' }, 404);
  }
  if (path === '/api/search') {
    const q = (url.searchParams.get('q') ?? '').toLowerCase();
    return json(res, room.devices.filter((d) => [d.name, d.id, d.address, d.assetTag].some((v) => v && v.toLowerCase().includes(q))).slice(0, 20)
      .map((d) => ({ id: d.id, name: d.name, room: room.id, rack: d.rack, address: d.address, assetTag: d.assetTag, kind: d.kind })));
  }
  if (path.startsWith('/api/') || path.startsWith('/hubs/')) return json(res, { title: 'not found' }, 404);
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
}).listen(port, '127.0.0.1', () => console.log(`console on http://127.0.0.1:${port}/`));
