// Scene benchmark: the console's own scene code (scene.js) on a generated room of 200 racks, 6,000 devices and
// 150,000 ports. Results go to window.__perf (read by tests/Monitoring.Benchmarks/ScenePerf.cs) and the page:
//   drawCalls      renderer.info.render.calls of a full frame (target <= 50)
//   buildMs        creating the renderer and building every mesh of the room (target < 2000)
//   firstFrameMs   the first frame until the GPU has drawn it (shader compilation, upload of every instance
//                  buffer, drawing; a one-pixel read-back waits for the GPU)
//   applyMs        applying one `changes` message of 10,000 status changes (2,000 devices, 8,000 ports),
//                  median of 5 runs after one warm-up run (target < 10); applyColdMs is the warm-up run
//   frameMs        one frame after the changes, colour upload included, until the GPU has drawn it
import { RoomScene, STATUSES } from './scene.js';
import { perfRoom, seededRandom } from './roomgen.js';

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

function makeChanges(room, rand, deviceCount, portCount) {
  const devices = [];
  const ports = [];
  const models = new Map(room.models.map((m) => [m.id, m]));
  for (let i = 0; i < deviceCount; i++) {
    const d = room.devices[Math.floor(rand() * room.devices.length)];
    devices.push({ id: d.id, status: STATUSES[Math.floor(rand() * STATUSES.length)] });
  }
  for (let i = 0; i < portCount; i++) {
    const d = room.devices[Math.floor(rand() * room.devices.length)];
    const model = models.get(d.model);
    const port = model.ports[Math.floor(rand() * model.ports.length)];
    ports.push({ device: d.id, index: port.index, status: STATUSES[Math.floor(rand() * STATUSES.length)] });
  }
  return { room: room.id, devices, ports, values: [] };
}

async function run() {
  const modulesLoadedMs = performance.now();
  const room = perfRoom();
  const generatedMs = performance.now();
  const portTotal = room.devices.reduce((n, d) => n + d.portStatus.length, 0);
  await nextFrame();

  const buildStart = performance.now();
  // ?aa=0 turns antialiasing off, to see what multisampling costs a software renderer.
  const antialias = new URLSearchParams(location.search).get('aa') !== '0';
  const scene = new RoomScene(document.getElementById('viewport'), { animate: false, antialias });
  scene.build(room);
  const buildMs = performance.now() - buildStart;

  const frameStart = performance.now();
  scene.render();
  waitForGpu(scene.renderer);
  const firstFrameMs = performance.now() - frameStart;
  const drawCalls = scene.drawCalls();
  const triangles = scene.renderer.info.render.triangles;

  const rand = seededRandom(42);
  const batches = Array.from({ length: 6 }, () => makeChanges(room, rand, 2000, 8000));
  const applyTimes = [];
  let applied = 0;
  for (const batch of batches) {
    const start = performance.now();
    applied = scene.applyChanges(batch);
    applyTimes.push(performance.now() - start);
  }
  // One frame after the changes: uploads the changed colour buffers and draws (software rendering is slow).
  const renderStart = performance.now();
  scene.render();
  waitForGpu(scene.renderer);
  const frameMs = performance.now() - renderStart;

  const gl = scene.renderer.getContext();
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const result = {
    ready: true,
    racks: room.racks.length,
    devices: room.devices.length,
    ports: portTotal,
    portInstances: scene.portMesh.count,
    drawCalls,
    triangles,
    buildMs: round(buildMs),
    firstFrameMs: round(firstFrameMs),
    changesPerBatch: batches[0].devices.length + batches[0].ports.length,
    changesApplied: applied,
    applyColdMs: round(applyTimes[0]),
    applyMs: round(median(applyTimes.slice(1))),
    frameMs: round(frameMs),
    modulesLoadedMs: round(modulesLoadedMs),
    generateMs: round(generatedMs - modulesLoadedMs),
    totalMs: round(performance.now()),
    renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown',
  };
  window.__perf = result;
  document.getElementById('results').textContent = JSON.stringify(result, null, 2);
  // Measured; now keep drawing so a person can look around the benchmark room (not under automation, where
  // software-rendered frames of 460k triangles would only slow the next run down).
  if (!navigator.webdriver) scene.renderer.setAnimationLoop(scene._frame);
}

run().catch((error) => {
  window.__perf = { ready: true, error: String(error?.stack ?? error) };
  document.getElementById('results').textContent = String(error?.stack ?? error);
});
