// Generated rooms in the shape of GET /api/rooms/{id}: the development fixture (scripts/make-fixture.mjs)
// and the large room of the scene benchmark (perf.html). Deterministic: a seeded random generator.

/** Small, fast, seeded PRNG (mulberry32). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ports of a block laid out in rows: numbering runs column by column, top row first (odd on top). */
function portBlock(ports, { first, count, rows, kind, name, x0, x1, yTop, yBottom, groupOf = 0, gap = 0 }) {
  const columns = Math.ceil(count / rows);
  const groups = groupOf > 0 ? Math.ceil(columns / groupOf) : 1;
  const usable = x1 - x0 - gap * (groups - 1);
  const step = columns > 1 ? usable / (columns - 1) : 0;
  for (let i = 0; i < count; i++) {
    const column = Math.floor(i / rows);
    const row = i % rows;
    const group = groupOf > 0 ? Math.floor(column / groupOf) : 0;
    const x = columns > 1 ? x0 + column * step + group * gap : (x0 + x1) / 2;
    const y = rows > 1 ? yTop - (row * (yTop - yBottom)) / (rows - 1) : (yTop + yBottom) / 2;
    ports.push({ index: first + i, name: name(first + i), kind, x: round(x), y: round(y) });
  }
}

const round = (v) => Math.round(v * 10000) / 10000;

export function standardModels() {
  const models = [];
  const add = (model, build) => {
    const ports = [];
    if (build) build(ports);
    models.push({ size: null, depth: 'full', heightU: 0, ...model, ports });
  };
  add({ id: 's5735-48', name: 'S5735-L48T4X', vendor: 'Huawei', kind: 'switch', heightU: 1 }, (p) => {
    portBlock(p, { first: 1, count: 48, rows: 2, kind: 'copper', name: (n) => `GE0/0/${n}`, x0: 0.1, x1: 0.7, yTop: 0.72, yBottom: 0.3, groupOf: 6, gap: 0.02 });
    portBlock(p, { first: 49, count: 4, rows: 1, kind: 'sfpPlus', name: (n) => `XGE0/0/${n - 48}`, x0: 0.76, x1: 0.9, yTop: 0.5, yBottom: 0.5 });
    p.push({ index: 53, name: 'Console', kind: 'console', x: 0.95, y: 0.7 });
    p.push({ index: 54, name: 'MEth0/0/1', kind: 'management', x: 0.95, y: 0.3 });
  });
  add({ id: 'ce6881-48s6cq', name: 'CE6881-48S6CQ', vendor: 'Huawei', kind: 'switch', heightU: 1 }, (p) => {
    portBlock(p, { first: 1, count: 48, rows: 2, kind: 'sfpPlus', name: (n) => `10GE1/0/${n}`, x0: 0.08, x1: 0.72, yTop: 0.72, yBottom: 0.3, groupOf: 8, gap: 0.015 });
    portBlock(p, { first: 49, count: 6, rows: 2, kind: 'qsfp', name: (n) => `100GE1/0/${n - 48}`, x0: 0.78, x1: 0.9, yTop: 0.72, yBottom: 0.3 });
    p.push({ index: 55, name: 'MEth0/0/0', kind: 'management', x: 0.96, y: 0.5 });
  });
  add({ id: 'ar6280', name: 'AR6280', vendor: 'Huawei', kind: 'router', heightU: 2 }, (p) => {
    portBlock(p, { first: 1, count: 8, rows: 2, kind: 'copper', name: (n) => `GE0/0/${n}`, x0: 0.3, x1: 0.5, yTop: 0.62, yBottom: 0.38 });
    portBlock(p, { first: 9, count: 4, rows: 1, kind: 'sfp', name: (n) => `GE0/1/${n - 8}`, x0: 0.56, x1: 0.72, yTop: 0.5, yBottom: 0.5 });
    p.push({ index: 13, name: 'Console', kind: 'console', x: 0.9, y: 0.5 });
  });
  add({ id: 'usg6650', name: 'USG6650E', vendor: 'Huawei', kind: 'firewall', heightU: 1 }, (p) => {
    portBlock(p, { first: 1, count: 16, rows: 2, kind: 'copper', name: (n) => `GE1/0/${n}`, x0: 0.25, x1: 0.55, yTop: 0.72, yBottom: 0.3 });
    portBlock(p, { first: 17, count: 8, rows: 2, kind: 'sfp', name: (n) => `GE1/1/${n - 16}`, x0: 0.6, x1: 0.78, yTop: 0.72, yBottom: 0.3 });
    p.push({ index: 25, name: 'MGMT', kind: 'management', x: 0.9, y: 0.5 });
  });
  add({ id: 'rh2288h-v6', name: 'FusionServer 2288H V6', vendor: 'xFusion', kind: 'server', heightU: 2 }, (p) => {
    portBlock(p, { first: 1, count: 4, rows: 1, kind: 'nic', name: (n) => `eth${n - 1}`, x0: 0.62, x1: 0.74, yTop: 0.3, yBottom: 0.3 });
    portBlock(p, { first: 5, count: 2, rows: 1, kind: 'sfpPlus', name: (n) => `ens${n - 4}f0`, x0: 0.8, x1: 0.86, yTop: 0.3, yBottom: 0.3 });
    p.push({ index: 7, name: 'iBMC', kind: 'management', x: 0.93, y: 0.3 });
  });
  add({ id: 'oceanstor-5310', name: 'OceanStor 5310', vendor: 'Huawei', kind: 'storage', heightU: 2 }, (p) => {
    portBlock(p, { first: 1, count: 4, rows: 1, kind: 'sfpPlus', name: (n) => `CTE0.A.IOM0.P${n - 1}`, x0: 0.7, x1: 0.84, yTop: 0.25, yBottom: 0.25 });
    p.push({ index: 5, name: 'MGMT', kind: 'management', x: 0.92, y: 0.25 });
  });
  add({ id: 'pp-24', name: '24-port Cat6 patch panel', vendor: 'Panduit', kind: 'patchPanel', heightU: 1 }, (p) => {
    portBlock(p, { first: 1, count: 24, rows: 1, kind: 'copper', name: (n) => `P${n}`, x0: 0.1, x1: 0.9, yTop: 0.5, yBottom: 0.5, groupOf: 6, gap: 0.03 });
  });
  add({ id: 'pdu-8', name: 'PDU 8 × C13', vendor: 'APC', kind: 'pdu', heightU: 1, depth: 'half' }, (p) => {
    portBlock(p, { first: 1, count: 8, rows: 1, kind: 'outlet', name: (n) => `Outlet ${n}`, x0: 0.2, x1: 0.85, yTop: 0.5, yBottom: 0.5 });
  });
  add({ id: 'ups-20k', name: 'UPS2000-G 20 kVA', vendor: 'Huawei', kind: 'ups', size: { width: 0.6, depth: 0.85, height: 1.9 } });
  add({ id: 'pac-25', name: 'NetCol5000-A025', vendor: 'Huawei', kind: 'airConditioner', size: { width: 0.6, depth: 1.0, height: 2.0 } });
  add({ id: 'th-sensor', name: 'Temperature/humidity sensor', vendor: 'Generic', kind: 'sensor', size: { width: 0.08, depth: 0.03, height: 0.1 } });
  add({ id: 'leak-probe', name: 'Water-leak probe', vendor: 'Generic', kind: 'probe', size: { width: 0.1, depth: 0.06, height: 0.04 } });
  add({ id: 'smoke-probe', name: 'Smoke detector', vendor: 'Generic', kind: 'probe', size: { width: 0.12, depth: 0.12, height: 0.05 } });
  add({ id: 'alarm-lamp', name: 'Sound-and-light alarm lamp', vendor: 'Generic', kind: 'lamp', size: { width: 0.12, depth: 0.12, height: 0.22 } });
  return models;
}

function pickStatus(rand, weights) {
  const r = rand();
  let acc = 0;
  for (const [status, weight] of weights) {
    acc += weight;
    if (r < acc) return status;
  }
  return 'ok';
}

const portWeights = [['ok', 0.86], ['down', 0.1], ['warning', 0.02], ['unknown', 0.02]];
const deviceWeights = [['ok', 0.9], ['warning', 0.06], ['alarm', 0.03], ['down', 0.01]];

/** The development fixture: a believable ICT machine room with four rows of racks and its facilities. */
export function demoRoom(seed = 7) {
  const rand = seededRandom(seed);
  const models = standardModels();
  const modelById = new Map(models.map((m) => [m.id, m]));
  const room = {
    id: 'demo', name: '信息通信机房', nameEn: 'ICT machine room', site: '省公司信通大楼 3F / Provincial ICT building 3F',
    size: { width: 18, depth: 12, height: 3.2 }, rows: [], racks: [], models, devices: [],
  };
  let assetNo = 101;
  let ip = 11;
  const addDevice = (d) => {
    const model = modelById.get(d.model);
    const device = {
      placement: 'rack', rack: null, u: 0, face: 'front', x: 0, y: 0, z: 0, rotation: 0,
      address: null, assetTag: `ZC-2023-${String(assetNo++).padStart(4, '0')}`, role: null,
      kind: model.kind, status: pickStatus(rand, deviceWeights), ...d,
    };
    device.portStatus = model.ports.map(() => (device.status === 'down' ? 'down' : pickStatus(rand, portWeights)));
    room.devices.push(device);
    return device;
  };
  const rowDefs = [
    { id: 'A', z: 3.0, facing: 'south', purpose: 'network' },
    { id: 'B', z: 5.4, facing: 'north', purpose: 'compute' },
    { id: 'C', z: 7.8, facing: 'south', purpose: 'compute' },
    { id: 'D', z: 10.2, facing: 'north', purpose: 'storage' },
  ];
  const racksPerRow = 12;
  const x0 = 9 - ((racksPerRow - 1) * 0.6) / 2;
  for (const rowDef of rowDefs) {
    room.rows.push({ id: rowDef.id, name: `${rowDef.id} 列` });
    for (let i = 1; i <= racksPerRow; i++) {
      const id = `${rowDef.id}${String(i).padStart(2, '0')}`;
      room.racks.push({ id, name: id, row: rowDef.id, x: round(x0 + (i - 1) * 0.6), z: rowDef.z, facing: rowDef.facing, heightU: 42, width: 0.6, depth: 1.2 });
      if (i === racksPerRow && rowDef.id !== 'A') continue; // spare rack, empty
      const rackName = id;
      const subnet = { A: 1, B: 2, C: 3, D: 4 }[rowDef.id];
      const addr = () => `10.10.${subnet}.${ip++ % 250}`;
      addDevice({ id: `pp-${id.toLowerCase()}`, name: `${rackName} 配线架`, model: 'pp-24', rack: id, u: 42, address: null, role: 'patch' });
      addDevice({ id: `sw-${id.toLowerCase()}`, name: `${rackName} 接入交换机`, model: 's5735-48', rack: id, u: 40, address: addr(), role: 'access' });
      addDevice({ id: `pdu-${id.toLowerCase()}`, name: `${rackName} PDU`, model: 'pdu-8', rack: id, u: 1, face: 'rear', address: addr(), role: 'power' });
      if (rowDef.purpose === 'network') {
        if (i <= 2) {
          addDevice({ id: `core-${id.toLowerCase()}`, name: `${rackName} 核心交换机`, model: 'ce6881-48s6cq', rack: id, u: 38, address: addr(), role: 'core' });
          addDevice({ id: `rt-${id.toLowerCase()}`, name: `${rackName} 出口路由器`, model: 'ar6280', rack: id, u: 34, address: addr(), role: 'border' });
          addDevice({ id: `fw-${id.toLowerCase()}`, name: `${rackName} 防火墙`, model: 'usg6650', rack: id, u: 31, address: addr(), role: 'firewall' });
        } else if (i <= 6) {
          addDevice({ id: `agg-${id.toLowerCase()}`, name: `${rackName} 汇聚交换机`, model: 'ce6881-48s6cq', rack: id, u: 38, address: addr(), role: 'aggregation' });
          for (let k = 0; k < 3; k++) {
            addDevice({ id: `srv-${id.toLowerCase()}-${k + 1}`, name: `${rackName} 网管服务器 ${k + 1}`, model: 'rh2288h-v6', rack: id, u: 24 - k * 3, address: addr(), role: 'nms' });
          }
        } else {
          for (let k = 0; k < 2 + (i % 3); k++) {
            addDevice({ id: `srv-${id.toLowerCase()}-${k + 1}`, name: `${rackName} 业务服务器 ${k + 1}`, model: 'rh2288h-v6', rack: id, u: 30 - k * 3, address: addr(), role: 'app' });
          }
        }
      } else if (rowDef.purpose === 'compute') {
        const count = 6 + Math.floor(rand() * 6);
        for (let k = 0; k < count; k++) {
          addDevice({ id: `srv-${id.toLowerCase()}-${k + 1}`, name: `${rackName} 服务器 ${k + 1}`, model: 'rh2288h-v6', rack: id, u: 36 - k * 3, address: addr(), role: 'compute' });
        }
      } else {
        const count = 3 + Math.floor(rand() * 4);
        for (let k = 0; k < count; k++) {
          addDevice({ id: `st-${id.toLowerCase()}-${k + 1}`, name: `${rackName} 存储 ${k + 1}`, model: 'oceanstor-5310', rack: id, u: 34 - k * 3, address: addr(), role: 'storage' });
        }
        addDevice({ id: `srv-${id.toLowerCase()}-1`, name: `${rackName} 备份服务器`, model: 'rh2288h-v6', rack: id, u: 12, address: addr(), role: 'backup' });
      }
    }
  }
  // The names the console tests and people look for first.
  const rename = (id, name) => { const d = room.devices.find((x) => x.id === id); if (d) d.name = name; };
  rename('sw-a01', 'A01 接入交换机');
  // Facilities along the walls: UPS units on the west wall, precision air conditioners on the east wall.
  for (let i = 0; i < 3; i++) {
    addDevice({ id: `ups-${i + 1}`, name: `UPS ${i + 1}`, model: 'ups-20k', placement: 'floor', x: 0.9, z: 3.2 + i * 0.7, rotation: 90, address: `10.10.9.${11 + i}`, role: 'ups' });
  }
  for (let i = 0; i < 4; i++) {
    addDevice({ id: `ac-${i + 1}`, name: `精密空调 ${i + 1}`, model: 'pac-25', placement: 'floor', x: 17.1, z: 2.6 + i * 2.4, rotation: 270, address: `10.10.9.${21 + i}`, role: 'cooling' });
  }
  // Temperature/humidity sensors on the front of the row-end racks (cold aisle), water-leak probes, smoke, lamp.
  let sensorNo = 1;
  for (const rowDef of rowDefs) {
    const frontZ = rowDef.z + (rowDef.facing === 'south' ? 0.62 : -0.62);
    for (const x of [x0, x0 + (racksPerRow - 1) * 0.6]) {
      addDevice({ id: `th-${sensorNo}`, name: `温湿度 ${rowDef.id} ${x < 9 ? '西' : '东'}`, model: 'th-sensor', placement: 'point', x: round(x), y: 1.6, z: round(frontZ), rotation: rowDef.facing === 'south' ? 0 : 180, address: `10.10.9.100:${sensorNo}`, role: 'environment' });
      sensorNo++;
    }
  }
  addDevice({ id: 'leak-1', name: '漏水探测 空调区', model: 'leak-probe', placement: 'point', x: 16.2, y: 0.02, z: 6, role: 'environment' });
  addDevice({ id: 'leak-2', name: '漏水探测 UPS 区', model: 'leak-probe', placement: 'point', x: 1.8, y: 0.02, z: 4, role: 'environment' });
  addDevice({ id: 'smoke-1', name: '烟感 1', model: 'smoke-probe', placement: 'point', x: 6, y: 3.15, z: 6, role: 'environment' });
  addDevice({ id: 'smoke-2', name: '烟感 2', model: 'smoke-probe', placement: 'point', x: 12, y: 3.15, z: 6, role: 'environment' });
  addDevice({ id: 'lamp-1', name: '声光告警灯', model: 'alarm-lamp', placement: 'point', x: 9, y: 2.7, z: 0.08, role: 'alarm' });
  room.links = demoLinks(room);
  return room;
}

/**
 * Cables of the development room, as a room file's `links:` declares them: every access switch's two uplinks
 * (ports 49 and 50) to the two core switches, across racks and rows, and the core pair's stack link.
 */
function demoLinks(room) {
  const links = [];
  const ids = new Set(room.devices.map((d) => d.id));
  const cores = ['core-a01', 'core-a02'].filter((id) => ids.has(id));
  if (cores.length < 2) return links;
  let n = 1;
  for (const d of room.devices) {
    if (d.role !== 'access' || n > 48) continue;
    links.push({ from: { device: d.id, port: 49 }, to: { device: cores[0], port: n } });
    links.push({ from: { device: d.id, port: 50 }, to: { device: cores[1], port: n } });
    n++;
  }
  links.push({ from: { device: cores[0], port: 49 }, to: { device: cores[1], port: 49 } });
  return links;
}

/**
 * The benchmark room: 200 racks in 10 rows, 30 one-U devices per rack (12 switches with 52 ports, 18 servers
 * with 7 ports): 6,000 devices and 150,000 ports, and 2,200 cables.
 */
export function perfRoom({ rows = 10, racksPerRow = 20, seed = 11 } = {}) {
  const rand = seededRandom(seed);
  const models = standardModels();
  const sw = { id: 'perf-sw-52', name: 'S5735-L48T4X (no console)', vendor: 'Huawei', kind: 'switch', heightU: 1, depth: 'full', size: null, ports: [] };
  portBlock(sw.ports, { first: 1, count: 48, rows: 2, kind: 'copper', name: (n) => `GE0/0/${n}`, x0: 0.1, x1: 0.7, yTop: 0.72, yBottom: 0.3, groupOf: 6, gap: 0.02 });
  portBlock(sw.ports, { first: 49, count: 4, rows: 1, kind: 'sfpPlus', name: (n) => `XGE0/0/${n - 48}`, x0: 0.76, x1: 0.9, yTop: 0.5, yBottom: 0.5 });
  const srv = { id: 'perf-srv-1u', name: '1U server', vendor: 'xFusion', kind: 'server', heightU: 1, depth: 'full', size: null, ports: [] };
  portBlock(srv.ports, { first: 1, count: 4, rows: 1, kind: 'nic', name: (n) => `eth${n - 1}`, x0: 0.6, x1: 0.74, yTop: 0.5, yBottom: 0.5 });
  portBlock(srv.ports, { first: 5, count: 2, rows: 1, kind: 'sfpPlus', name: (n) => `ens${n - 4}f0`, x0: 0.8, x1: 0.86, yTop: 0.5, yBottom: 0.5 });
  srv.ports.push({ index: 7, name: 'iBMC', kind: 'management', x: 0.93, y: 0.5 });
  models.push(sw, srv);
  const width = racksPerRow * 0.6 + 6;
  const depth = rows * 2.4 + 3;
  const links = [];
  const room = { id: 'perf', name: '性能测试机房', nameEn: 'Benchmark room', site: 'generated', size: { width, depth, height: 3.2 }, rows: [], racks: [], models, devices: [], links };
  for (let r = 0; r < rows; r++) {
    const rowId = `R${String(r + 1).padStart(2, '0')}`;
    room.rows.push({ id: rowId, name: `${rowId} 列` });
    for (let i = 0; i < racksPerRow; i++) {
      const rackId = `${rowId}-${String(i + 1).padStart(2, '0')}`;
      room.racks.push({ id: rackId, name: rackId, row: rowId, x: 3 + i * 0.6 + 0.3, z: 2 + r * 2.4, facing: r % 2 === 0 ? 'south' : 'north', heightU: 42, width: 0.6, depth: 1.2 });
      for (let k = 0; k < 30; k++) {
        const model = k < 12 ? sw : srv;
        const status = pickStatus(rand, deviceWeights);
        room.devices.push({
          id: `${rackId}-${k + 1}`, name: `${rackId} ${model.kind} ${k + 1}`, model: model.id, kind: model.kind,
          placement: 'rack', rack: rackId, u: 41 - k, face: 'front', x: 0, y: 0, z: 0, rotation: 0,
          address: null, assetTag: null, role: null, status,
          portStatus: model.ports.map(() => pickStatus(rand, portWeights)),
        });
      }
      // each rack's switches uplink (port 49) to the rack's first switch: 2,200 cables in the default room
      for (let k = 1; k < 12; k++) links.push({ from: { device: `${rackId}-${k + 1}`, port: 49 }, to: { device: `${rackId}-1`, port: k } });
    }
  }
  return room;
}
