// Writes web/fixtures/room.json: the development room in the shape of GET /api/rooms/{id}.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoRoom } from '../wwwroot/js/roomgen.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'room.json');
mkdirSync(dirname(target), { recursive: true });
const room = demoRoom();
writeFileSync(target, JSON.stringify(room, null, 1) + '\n');
const ports = room.devices.reduce((n, d) => n + d.portStatus.length, 0);
console.log(`${target}: ${room.racks.length} racks, ${room.devices.length} devices, ${ports} ports`);
