// Heat map frame benchmark (issue 23, branch "notices"): the console's own scene (scene.js) and heat map (heatmap.js)
// on the scene benchmark's generated room (200 racks, 6,000 devices, 150,000 ports) with 240 temperature points (a
// door sensor on every rack front, 40 free-standing probes in the aisles), the heat map on. One "frame" is what the
// console does with one hub `changes` message before it draws: the 10,000 status changes (2,000 devices, 8,000
// ports) into the scene's instance colours, the temperature values into the heat map, the heat map's recompute and
// the upload of its floor texture to the GPU (waited for with a one-pixel read-back). Target: < 16 ms per frame.
// Results go to window.__heatperf (read by tests/Monitoring.Benchmarks/HeatMapPerf.cs) and the page:
//   allMs / allMaxMs     median / worst of FRAMES frames in which every one of the 240 points changed (a cooling
//                        failure: the whole room warming at once)
//   someMs / someMaxMs   the same with 24 points changed per frame (a normal minute of readings)
//   heatAllMs, heatSomeMs  the heat map's own part (values, recompute, upload) of those frames, median
//   applyMs              the 10,000 status changes alone, median
//   coldMs               the first frame (before the JIT warmed up)
//   toggleMs             turning the map on: the neighbour tables of every cell and rack front and the first update
//                        (once; again only in a frame where a point gets its first reading)
// Not in the figures: drawing the frame, which a software renderer (SwiftShader) takes seconds over for this room
// whatever the heat map does (see the "3D room scene" section of docs/PERFORMANCE.md).
import { RoomScene, STATUSES } from './scene.js';
import { HeatMap } from './heatmap.js';
import { perfRoom, seededRandom } from './roomgen.js';

const FRAMES = 15;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 100) / 100;
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/** Reads one pixel back: returns only once the GPU has finished every command queued before it. */
function waitForGpu(renderer) {
  const gl = renderer.getContext();
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
}

function makeStatusChanges(room, rand, models) {
  const devices = [];
  const ports = [];
  for (let i = 0; i < 2000; i++) {
    const d = room.devices[Math.floor(rand() * room.devices.length)];
    devices.push({ id: d.id, status: STATUSES[Math.floor(rand() * STATUSES.length)] });
  }
  for (let i = 0; i < 8000; i++) {
    const d = room.devices[Math.floor(rand() * room.devices.length)];
    const model = models.get(d.model);
    const port = model.ports[Math.floor(rand() * model.ports.length)];
    ports.push({ device: d.id, index: port.index, status: STATUSES[Math.floor(rand() * STATUSES.length)] });
  }
  return { devices, ports };
}

/** A `changes` message: 10,000 status changes and `changed` of the points' temperatures, each a new value. */
function makeBatch(room, rand, models, sources, changed, frame) {
  const { devices, ports } = makeStatusChanges(room, rand, models);
  const picked = [...sources].sort(() => rand() - 0.5).slice(0, changed);
  const values = picked.map((s) => ({ device: s.id, metric: 'environment.temperature', port: null, value: 20 + rand() * 14 + frame * 1e-3 }));
  return { room: room.id, devices, ports, values };
}

async function run() {
  const room = perfRoom();
  const models = new Map(room.models.map((m) => [m.id, m]));
  await nextFrame();
  const scene = new RoomScene(document.getElementById('viewport'), { animate: false });
  scene.build(room);
  const map = new HeatMap(scene, room);
  const sources = map.frontPoints.map((p) => ({ id: `T-${p.rack}`, x: p.x, z: p.z, rack: p.rack }));
  const { width, depth } = room.size;
  for (let r = 0; r <= 10; r++) {
    for (let k = 0; k < 4 && sources.length < 240; k++) {
      sources.push({ id: `P-${r}-${k}`, x: 1.5 + ((width - 3) * (k + 0.5)) / 4, z: Math.min(depth - 0.5, 0.8 + r * 2.4), rack: null });
    }
  }
  const rand = seededRandom(23);
  for (const s of sources) map.values.set(s.id, 21 + rand() * 4);
  map.setSources(sources);
  const toggleStart = performance.now();
  map.setVisible(true); // builds every cell's neighbour table, then the first update
  scene.renderer.initTexture(map.texture);
  waitForGpu(scene.renderer);
  const toggleMs = performance.now() - toggleStart;

  const batches = (changed) => Array.from({ length: FRAMES + 1 }, (_, i) => makeBatch(room, rand, models, sources, changed, i));
  const frame = (batch) => {
    const start = performance.now();
    scene.applyChanges(batch);
    const applied = performance.now();
    map.applyValues(batch.values);
    map.update(); // what the heat map's animation-frame callback does
    scene.renderer.initTexture(map.texture);
    waitForGpu(scene.renderer);
    const end = performance.now();
    return { total: end - start, apply: applied - start, heat: end - applied };
  };
  const measure = (changed) => {
    const list = batches(changed);
    const cold = frame(list[0]);
    const frames = list.slice(1).map(frame);
    return { cold, frames };
  };
  const updatesBefore = map.updates;
  const all = measure(sources.length);
  const some = measure(24);
  // every measured frame recomputed the map (a benchmark of a no-op would prove nothing)
  if (map.updates - updatesBefore !== 2 * (FRAMES + 1)) throw new Error(`expected ${2 * (FRAMES + 1)} heat map updates, saw ${map.updates - updatesBefore}`);

  const gl = scene.renderer.getContext();
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const totals = (m) => m.frames.map((f) => f.total);
  const result = {
    ready: true,
    racks: room.racks.length,
    devices: room.devices.length,
    points: sources.length,
    grid: `${map.gw}x${map.gh}`,
    frames: FRAMES,
    changesPerFrame: 10000,
    allMs: round(median(totals(all))),
    allMaxMs: round(Math.max(...totals(all))),
    someMs: round(median(totals(some))),
    someMaxMs: round(Math.max(...totals(some))),
    heatAllMs: round(median(all.frames.map((f) => f.heat))),
    heatSomeMs: round(median(some.frames.map((f) => f.heat))),
    applyMs: round(median([...all.frames, ...some.frames].map((f) => f.apply))),
    coldMs: round(all.cold.total),
    toggleMs: round(toggleMs),
    updates: map.updates,
    renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown',
  };
  window.__heatperf = result;
  document.getElementById('results').textContent = JSON.stringify(result, null, 2);
}

run().catch((error) => {
  window.__heatperf = { ready: true, error: String(error?.stack ?? error) };
  document.getElementById('results').textContent = String(error?.stack ?? error);
});
