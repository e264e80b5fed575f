// The temperature heat map (issue 23, branch "notices"): the room's temperature interpolated (inverse-distance
// weighting, power 2, over the NEIGHBOURS nearest points) between its temperature sensors — the cabinet-door T/H
// sensors read the racks' inlet air, the free-standing probes and the hot-aisle sensor their spot — drawn on a floor
// grid texture, and every rack front tinted from its inlet (its own door sensor when it has one, else the
// interpolation at its front). A colour scale with a legend; toggled in the console. Live: while on, the console
// subscribes to the sensors' values (a handful of devices, not the room) and the map is recomputed at most once per
// animation frame, only when a reading changed. Each cell's neighbours and weights are computed once (again only when
// a sensor gets its first reading), so an update is NEIGHBOURS multiply-adds and a colour look-up per cell and rack
// front, plus one 24 KB texture upload: measured with 10,000 status changes per frame by heatperf.js
// (`heatmap-frame` in tests/Monitoring.Benchmarks, docs/PERFORMANCE.md).
import * as THREE from 'three';
import { t, addText } from './i18n.js';
import { el } from './toolkit.js';
import { expose } from './testhooks.js';

addText({
  zh: { 'hm.toggle': '温度云图', 'hm.legend': '温度 (°C)' },
  en: { 'hm.toggle': 'Heat map', 'hm.legend': 'Temperature (°C)' },
});

export const METRIC = 'environment.temperature';
export const SCALE_MIN = 18;
export const SCALE_MAX = 38;
// the colour scale: cold blue, comfortable green (ASHRAE inlet 18-27 °C), yellow, orange, hot red
const STOPS = [
  [18, [43, 108, 255]],
  [23, [34, 197, 94]],
  [27, [250, 204, 21]],
  [31, [249, 115, 22]],
  [38, [220, 38, 38]],
];
const U = 0.04445;
const PLINTH = 0.07;
const FACING = { south: 0, north: Math.PI, east: Math.PI / 2, west: -Math.PI / 2 };

/** The scale's colour of a temperature, as [r, g, b] 0..255. */
export function colourOf(celsius) {
  const v = Math.min(SCALE_MAX, Math.max(SCALE_MIN, celsius));
  for (let i = 1; i < STOPS.length; i++) {
    if (v <= STOPS[i][0]) {
      const [t0, c0] = STOPS[i - 1];
      const [t1, c1] = STOPS[i];
      const k = (v - t0) / (t1 - t0);
      return [c0[0] + (c1[0] - c0[0]) * k, c0[1] + (c1[1] - c0[1]) * k, c0[2] + (c1[2] - c0[2]) * k];
    }
  }
  return STOPS[STOPS.length - 1][1];
}

/** How many nearest points with a reading a floor cell or rack front is interpolated from. */
export const NEIGHBOURS = 8;
// The scale as a look-up table of LUT_STEPS steps across SCALE_MIN..SCALE_MAX: sRGB bytes for the floor texture,
// linear floats for the rack fronts' instance colours (three.js keeps those in linear space).
const LUT_STEPS = 512;
const LUT = new Uint8Array(LUT_STEPS * 3);
const LINEAR = new Float32Array(LUT_STEPS * 3);
{
  const c = new THREE.Color();
  for (let i = 0; i < LUT_STEPS; i++) {
    const [r, g, b] = colourOf(SCALE_MIN + ((SCALE_MAX - SCALE_MIN) * i) / (LUT_STEPS - 1));
    LUT[i * 3] = Math.round(r);
    LUT[i * 3 + 1] = Math.round(g);
    LUT[i * 3 + 2] = Math.round(b);
    c.setRGB(r / 255, g / 255, b / 255, THREE.SRGBColorSpace);
    LINEAR[i * 3] = c.r;
    LINEAR[i * 3 + 1] = c.g;
    LINEAR[i * 3 + 2] = c.b;
  }
}

/** The LUT offset of a temperature. */
function lutIndex(celsius) {
  const k = (celsius - SCALE_MIN) / (SCALE_MAX - SCALE_MIN);
  const i = k <= 0 ? 0 : k >= 1 ? LUT_STEPS - 1 : Math.round(k * (LUT_STEPS - 1));
  return i * 3;
}

/** Point p's temperature from its neighbour table row. */
function interpolate(nIdx, nW, sv, p) {
  const base = p * NEIGHBOURS;
  let v = 0;
  for (let j = 0; j < NEIGHBOURS; j++) {
    const s = nIdx[base + j];
    if (s < 0) break;
    v += nW[base + j] * sv[s];
  }
  return v;
}

/**
 * The heat map of one room. `scene` is the RoomScene (its THREE scene, its `dirty` flag); `room` the room as
 * GET /api/rooms/{id} answers it. Sources are { id, x, z, rack } (rack: the rack whose inlet the sensor reads).
 */
export class HeatMap {
  constructor(scene, room, { cellsAcross = 64 } = {}) {
    this.scene = scene;
    this.room = room;
    this.sources = [];
    this.sourceIndex = new Map(); // source id -> index into sx/sz/sv/shas
    this.sv = null; // the sources' readings (°C), shas: which have one
    this.shas = new Uint8Array(0);
    this.frontSource = new Int32Array(0);
    this.tableStale = true;
    this.values = new Map(); // device id -> °C
    this.visible = false;
    this.pending = false;
    this.updates = 0;
    const { width, depth } = room.size;
    this.gw = cellsAcross;
    this.gh = Math.max(2, Math.round(cellsAcross * depth / width));
    this.pixels = new Uint8Array(this.gw * this.gh * 4);
    this.texture = new THREE.DataTexture(this.pixels, this.gw, this.gh, THREE.RGBAFormat);
    this.texture.magFilter = THREE.LinearFilter;
    this.texture.minFilter = THREE.LinearFilter;
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.floor = new THREE.Mesh(new THREE.PlaneGeometry(width, depth),
      new THREE.MeshBasicMaterial({ map: this.texture, transparent: true, opacity: 0.7, depthWrite: false, toneMapped: false }));
    this.floor.rotation.x = -Math.PI / 2;
    this.floor.position.set(width / 2, 0.015, depth / 2);
    this.floor.name = 'heatmap-floor';
    this.floor.renderOrder = 1;
    const racks = room.racks ?? [];
    this.fronts = new THREE.InstancedMesh(new THREE.PlaneGeometry(1, 1),
      new THREE.MeshBasicMaterial({ transparent: true, opacity: 0.6, depthWrite: false, toneMapped: false, side: THREE.DoubleSide }), Math.max(1, racks.length));
    this.fronts.name = 'heatmap-fronts';
    this.frontPoints = [];
    const m = new THREE.Matrix4();
    const q = new THREE.Quaternion();
    const yAxis = new THREE.Vector3(0, 1, 0);
    const local = new THREE.Matrix4();
    racks.forEach((rack, i) => {
      const h = rack.heightU * U + PLINTH * 2;
      q.setFromAxisAngle(yAxis, FACING[rack.facing] ?? 0);
      m.compose(new THREE.Vector3(rack.x, 0, rack.z), q, new THREE.Vector3(1, 1, 1));
      const front = new THREE.Vector3(0, h / 2, rack.depth / 2 + 0.03).applyMatrix4(m);
      this.frontPoints.push({ rack: rack.id, x: front.x, y: front.y, z: front.z });
      this.fronts.setMatrixAt(i, m.clone().multiply(local.makeTranslation(0, h / 2, rack.depth / 2 + 0.03)).multiply(new THREE.Matrix4().makeScale(rack.width - 0.02, h - 0.04, 1)));
      this.fronts.setColorAt(i, new THREE.Color(0.5, 0.5, 0.5));
    });
    this.fronts.count = racks.length;
    this.fronts.instanceMatrix.needsUpdate = true;
    this.group = new THREE.Group();
    this.group.name = 'heatmap';
    this.group.add(this.floor, this.fronts);
    this.group.visible = false;
    scene.scene.add(this.group);
    this.rackById = new Map(racks.map((r) => [r.id, r]));
  }

  /** The temperature points: [{ id, x, z, rack }]; a rack-mounted sensor sits at its rack's front. */
  setSources(sources) {
    this.sources = sources;
    const n = sources.length;
    this.sourceIndex = new Map(sources.map((s, i) => [s.id, i]));
    this.sx = Float64Array.from(sources, (s) => s.x);
    this.sz = Float64Array.from(sources, (s) => s.z);
    this.sv = new Float64Array(n);
    this.shas = new Uint8Array(n);
    sources.forEach((s, i) => {
      const v = this.values.get(s.id);
      if (v !== undefined) {
        this.sv[i] = v;
        this.shas[i] = 1;
      }
    });
    // a rack front's own door sensor, else -1 (the interpolation at the front)
    this.frontSource = Int32Array.from(this.frontPoints, (p) => sources.findIndex((s) => s.rack === p.rack));
    this.tableStale = true;
    this.requestUpdate();
  }

  setVisible(on) {
    this.visible = on;
    this.group.visible = on;
    if (on) this.update();
    this.scene.dirty = true;
  }

  /** A reading of a source; non-sources and unchanged values cost nothing. */
  setValue(deviceId, celsius) {
    if (this.values.get(deviceId) === celsius) return;
    this.values.set(deviceId, celsius);
    const i = this.sourceIndex.get(deviceId);
    if (i === undefined) return;
    if (!this.shas[i]) {
      this.shas[i] = 1;
      this.tableStale = true; // one more point with a reading: the neighbourhoods change
    }
    this.sv[i] = celsius;
    this.requestUpdate();
  }

  /** Takes the temperature values of a hub `changes` message ({ device, metric, value }). */
  applyValues(values) {
    if (!values) return;
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (v.metric === METRIC && v.port == null) this.setValue(v.device, v.value);
    }
  }

  requestUpdate() {
    if (!this.visible || this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.update();
    });
  }

  /**
   * The interpolation's weights at (x, z) into idx/w (length NEIGHBOURS each; unused slots idx -1), normalised to sum
   * 1. Inverse-distance weighting (power 2) over the NEIGHBOURS nearest points with a reading; with more points than
   * that, Franke and Little's form ((R - d) / (R d))^2, R the distance of the next nearest, so that a point's weight
   * falls to zero as it leaves the neighbourhood (no seams). With at most NEIGHBOURS points it is plain IDW over all.
   * Answers false when no point has a reading.
   */
  weightsAt(x, z, idx, w) {
    const k = NEIGHBOURS + 1;
    const near = this._near ??= new Int32Array(k);
    const nearD = this._nearD ??= new Float64Array(k);
    let found = 0;
    const { sx, sz, shas } = this;
    for (let s = 0; s < sx.length; s++) {
      if (!shas[s]) continue;
      const dx = sx[s] - x;
      const dz = sz[s] - z;
      const d2 = dx * dx + dz * dz;
      if (found === k && d2 >= nearD[k - 1]) continue;
      let j = found < k ? found++ : k - 1;
      while (j > 0 && nearD[j - 1] > d2) {
        near[j] = near[j - 1];
        nearD[j] = nearD[j - 1];
        j--;
      }
      near[j] = s;
      nearD[j] = d2;
    }
    idx.fill(-1);
    w.fill(0);
    if (found === 0) return false;
    if (nearD[0] < 1e-4) {
      idx[0] = near[0];
      w[0] = 1;
      return true;
    }
    const used = Math.min(found, NEIGHBOURS);
    const r = found === k ? Math.sqrt(nearD[k - 1]) : Infinity;
    let total = 0;
    for (let j = 0; j < used; j++) {
      const d = Math.sqrt(nearD[j]);
      const q = r === Infinity ? 1 / d : (r - d) / (r * d);
      idx[j] = near[j];
      w[j] = q * q;
      total += q * q;
    }
    if (total <= 0) {
      // every neighbour as far as the next one (a regular lattice): equal weights
      for (let j = 0; j < used; j++) w[j] = 1 / used;
      return true;
    }
    for (let j = 0; j < used; j++) w[j] /= total;
    return true;
  }

  /** The interpolated temperature at (x, z); null without any reading. */
  temperatureAt(x, z) {
    const idx = new Int32Array(NEIGHBOURS);
    const w = new Float64Array(NEIGHBOURS);
    if (!this.sv || !this.weightsAt(x, z, idx, w)) return null;
    let v = 0;
    for (let j = 0; j < NEIGHBOURS && idx[j] >= 0; j++) v += w[j] * this.sv[idx[j]];
    return v;
  }

  /** A rack's inlet: its own door sensor's reading, else the interpolation at its front. */
  inletOf(rackId) {
    const i = this.frontPoints.findIndex((f) => f.rack === rackId);
    if (i < 0) return null;
    const own = this.frontSource?.[i] ?? -1;
    if (own >= 0 && this.shas[own]) return this.sv[own];
    const p = this.frontPoints[i];
    return this.temperatureAt(p.x, p.z);
  }

  /**
   * Every floor cell's and rack front's neighbours and weights, computed once for the points that have a reading
   * (again only when a point gets its first reading): a frame's update is then NEIGHBOURS multiply-adds per cell.
   */
  _buildTable() {
    const { width, depth } = this.room.size;
    const cells = this.gw * this.gh;
    const count = cells + this.frontPoints.length;
    this.nIdx = new Int32Array(count * NEIGHBOURS).fill(-1);
    this.nW = new Float32Array(count * NEIGHBOURS);
    this.covered = new Uint8Array(count);
    const idx = new Int32Array(NEIGHBOURS);
    const w = new Float64Array(NEIGHBOURS);
    for (let p = 0; p < count; p++) {
      let x;
      let z;
      if (p < cells) {
        const r = Math.floor(p / this.gw);
        const c = p - r * this.gw;
        x = ((c + 0.5) * width) / this.gw;
        z = depth - ((r + 0.5) * depth) / this.gh; // texture row 0 is the plane's south edge
      } else {
        x = this.frontPoints[p - cells].x;
        z = this.frontPoints[p - cells].z;
      }
      if (!this.weightsAt(x, z, idx, w)) continue;
      this.covered[p] = 1;
      this.nIdx.set(idx, p * NEIGHBOURS);
      this.nW.set(w, p * NEIGHBOURS);
    }
    this.tableStale = false;
  }

  /** Recomputes the floor texture and the rack fronts' colours from the current readings. */
  update() {
    if (!this.sv) return;
    if (this.tableStale) this._buildTable();
    const px = this.pixels;
    const { nIdx, nW, covered, sv } = this;
    const cells = this.gw * this.gh;
    for (let p = 0; p < cells; p++) {
      const o = p * 4;
      if (!covered[p]) {
        px[o + 3] = 0;
        continue;
      }
      const l = lutIndex(interpolate(nIdx, nW, sv, p));
      px[o] = LUT[l];
      px[o + 1] = LUT[l + 1];
      px[o + 2] = LUT[l + 2];
      px[o + 3] = 200;
    }
    this.texture.needsUpdate = true;
    const colours = this.fronts.instanceColor?.array;
    if (colours) {
      for (let i = 0; i < this.frontPoints.length; i++) {
        const own = this.frontSource[i];
        const p = cells + i;
        let r = 0.5;
        let g = 0.5;
        let b = 0.5;
        if ((own >= 0 && this.shas[own]) || covered[p]) {
          const l = lutIndex(own >= 0 && this.shas[own] ? sv[own] : interpolate(nIdx, nW, sv, p));
          r = LINEAR[l];
          g = LINEAR[l + 1];
          b = LINEAR[l + 2];
        }
        colours[i * 3] = r;
        colours[i * 3 + 1] = g;
        colours[i * 3 + 2] = b;
      }
      this.fronts.instanceColor.needsUpdate = true;
    }
    this.updates++;
    this.scene.dirty = true;
  }

  dispose() {
    this.scene.scene.remove(this.group);
    this.floor.geometry.dispose();
    this.floor.material.dispose();
    this.fronts.geometry.dispose();
    this.fronts.material.dispose();
    this.texture.dispose();
  }
}

/** The legend: the scale as a gradient with its temperatures. */
function legend() {
  const gradient = STOPS.map(([c, [r, g, b]]) => `rgb(${r},${g},${b}) ${((c - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)) * 100}%`).join(', ');
  return el('div', { id: 'heatmap-legend', class: 'heatmap-legend', hidden: true, style: 'position:absolute;left:12px;bottom:48px;z-index:5;background:rgba(15,20,28,.85);padding:6px 8px;border-radius:6px;font-size:12px;color:#dfe6ee' },
    el('div', { 'data-i18n': 'hm.legend' }, t('hm.legend')),
    el('div', { style: `width:200px;height:10px;margin:4px 0;background:linear-gradient(to right, ${gradient})` }),
    el('div', { style: 'display:flex;justify-content:space-between;width:200px' },
      ...[SCALE_MIN, 23, 27, 31, SCALE_MAX].map((c) => el('span', {}, `${c}`))));
}

/**
 * Wires the heat map into the console: a toggle button in the top bar, the legend over the viewport, the sensors found
 * from the room (environment devices that report a temperature), their values read once and then followed over the
 * hub while the map is on. `getJson(path)` is the console's REST helper; `hub()` answers the live hub connection.
 */
export function initHeatMap({ scene, room, getJson, hub }) {
  const map = new HeatMap(scene, room);
  const button = el('button', { type: 'button', class: 'btn', id: 'heatmap-toggle', 'aria-pressed': 'false', 'data-i18n': 'hm.toggle' }, t('hm.toggle'));
  const home = document.getElementById('home');
  home?.parentElement?.insertBefore(button, home);
  const key = legend();
  (document.getElementById('viewport')?.parentElement ?? document.body).append(key);
  let found = null;
  let subscribed = [];
  let refresh = 0;

  async function findSources() {
    const candidates = room.devices.filter((d) => d.role === 'environment');
    const sources = [];
    await Promise.all(candidates.map(async (d) => {
      try {
        const detail = await getJson(`/api/devices/${encodeURIComponent(d.id)}`);
        const value = (detail.values ?? []).find((v) => v.metric === METRIC);
        if (!value) return;
        const rack = d.placement === 'rack' ? map.rackById.get(d.rack) : null;
        const front = rack ? map.frontPoints.find((p) => p.rack === rack.id) : null;
        sources.push({ id: d.id, x: front ? front.x : d.x, z: front ? front.z : d.z, rack: rack?.id ?? null });
        map.values.set(d.id, value.value);
      } catch (error) {
        console.warn('heat map source', d.id, error);
      }
    }));
    sources.sort((a, b) => a.id.localeCompare(b.id));
    return sources;
  }

  async function subscribe() {
    const connection = hub();
    if (!connection || !found?.length || connection.state !== window.signalR?.HubConnectionState.Connected) return;
    try {
      await connection.invoke('SubscribeDevices', found.map((s) => s.id));
      subscribed = found.map((s) => s.id);
    } catch (error) {
      console.warn('heat map subscribe', error);
    }
  }

  async function setOn(on) {
    button.setAttribute('aria-pressed', String(on));
    button.classList.toggle('active', on);
    key.hidden = !on;
    if (on) {
      found ??= await findSources();
      map.setSources(found);
      map.setVisible(true);
      await subscribe();
      // the open panel's subscription changes may drop ours (the hub keeps one set per connection): renew it now and then
      refresh = setInterval(subscribe, 30_000);
    } else {
      map.setVisible(false);
      clearInterval(refresh);
      const connection = hub();
      if (connection && subscribed.length) connection.invoke('UnsubscribeDevices', subscribed).catch(() => {});
      subscribed = [];
    }
  }

  button.addEventListener('click', () => setOn(!map.visible));
  expose('__heatmap', {
    visible: () => map.visible,
    updates: () => map.updates,
    sources: () => map.sources.map((s) => ({ ...s, value: map.values.get(s.id) ?? null })),
    inletOf: (rackId) => map.inletOf(rackId),
    /** Looks straight at a rack's front from 1.5 m, draws one frame and reads the centre pixel of the WebGL canvas: [r, g, b, a]. */
    pixelAtRack: (rackId) => pixelAtRack(scene, map, rackId),
  });
  return {
    map,
    setOn,
    applyValues: (values) => map.visible && map.applyValues(values),
    resubscribe: () => map.visible && subscribe(),
  };
}

function pixelAtRack(scene, map, rackId) {
  const p = map.frontPoints.find((f) => f.rack === rackId);
  const rack = map.rackById.get(rackId);
  if (!p || !rack) return null;
  const camera = scene.camera;
  const savedPosition = camera.position.clone();
  const savedTarget = scene.controls.target.clone();
  const angle = FACING[rack.facing] ?? 0;
  camera.position.set(p.x + Math.sin(angle) * 1.5, p.y, p.z + Math.cos(angle) * 1.5);
  scene.controls.target.set(p.x, p.y, p.z);
  camera.lookAt(p.x, p.y, p.z);
  camera.updateMatrixWorld();
  scene.renderer.render(scene.scene, camera);
  const gl = scene.renderer.getContext();
  const pixel = new Uint8Array(4);
  gl.readPixels(Math.floor(gl.drawingBufferWidth / 2), Math.floor(gl.drawingBufferHeight / 2), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  camera.position.copy(savedPosition);
  scene.controls.target.copy(savedTarget);
  camera.lookAt(savedTarget);
  scene.dirty = true;
  return [...pixel];
}
