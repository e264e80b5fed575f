// The temperature heat map (issue 23, branch "notices"): the room's temperature interpolated (inverse-distance
// weighting, power 2) between its temperature sensors — the cabinet-door T/H sensors read the racks' inlet air, the
// free-standing probes and the hot-aisle sensor their spot — drawn on a floor grid texture, and every rack front tinted
// from its inlet (its own door sensor when it has one, else the interpolation at its front). A colour scale with a
// legend; toggled in the console. Live: while on, the console subscribes to the sensors' values (a handful of devices,
// not the room) and the map is recomputed at most once per animation frame, only when a reading changed. The cost is
// a few thousand multiply-adds per update (grid cells × sensors) and two buffer uploads: measured in perf.js.
import * as THREE from 'three';
import { t, addText } from './i18n.js';
import { el } from './toolkit.js';
import { expose } from './testhooks.js';

addText({
  zh: { 'hm.toggle': '温度云图', 'hm.legend': '温度 (°C)', 'hm.sensors': '{0} 个温度测点' },
  en: { 'hm.toggle': 'Heat map', 'hm.legend': 'Temperature (°C)', 'hm.sensors': '{0} temperature points' },
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

/**
 * The heat map of one room. `scene` is the RoomScene (its THREE scene, its `dirty` flag); `room` the room as
 * GET /api/rooms/{id} answers it. Sources are { id, x, z, rack } (rack: the rack whose inlet the sensor reads).
 */
export class HeatMap {
  constructor(scene, room, { cellsAcross = 64 } = {}) {
    this.scene = scene;
    this.room = room;
    this.sources = [];
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
    this.requestUpdate();
  }

  /** Takes the temperature values of a hub `changes` message ({ device, metric, value }). */
  applyValues(values) {
    for (const v of values ?? []) if (v.metric === METRIC && v.port == null) this.setValue(v.device, v.value);
  }

  requestUpdate() {
    if (!this.visible || this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.update();
    });
  }

  /** The interpolated temperature at (x, z): inverse-distance weighting over the sources with a reading; null without any. */
  temperatureAt(x, z) {
    let weight = 0;
    let sum = 0;
    for (const s of this.sources) {
      const v = this.values.get(s.id);
      if (v === undefined) continue;
      const dx = s.x - x;
      const dz = s.z - z;
      const d2 = dx * dx + dz * dz;
      if (d2 < 1e-4) return v;
      const w = 1 / d2;
      weight += w;
      sum += w * v;
    }
    return weight > 0 ? sum / weight : null;
  }

  /** A rack's inlet: its own door sensor's reading, else the interpolation at its front. */
  inletOf(rackId) {
    for (const s of this.sources) if (s.rack === rackId && this.values.has(s.id)) return this.values.get(s.id);
    const p = this.frontPoints.find((f) => f.rack === rackId);
    return p ? this.temperatureAt(p.x, p.z) : null;
  }

  /** Recomputes the floor texture and the rack fronts' colours from the current readings. */
  update() {
    const { width, depth } = this.room.size;
    const px = this.pixels;
    for (let r = 0; r < this.gh; r++) {
      const z = depth - ((r + 0.5) * depth) / this.gh; // texture row 0 is the plane's south edge
      for (let c = 0; c < this.gw; c++) {
        const x = ((c + 0.5) * width) / this.gw;
        const v = this.temperatureAt(x, z);
        const o = (r * this.gw + c) * 4;
        if (v === null) {
          px[o + 3] = 0;
          continue;
        }
        const [red, green, blue] = colourOf(v);
        px[o] = red;
        px[o + 1] = green;
        px[o + 2] = blue;
        px[o + 3] = 200;
      }
    }
    this.texture.needsUpdate = true;
    const colour = new THREE.Color();
    this.frontPoints.forEach((p, i) => {
      const v = this.inletOf(p.rack);
      const [red, green, blue] = v === null ? [128, 128, 128] : colourOf(v);
      colour.setRGB(red / 255, green / 255, blue / 255, THREE.SRGBColorSpace);
      this.fronts.setColorAt(i, colour);
    });
    if (this.fronts.instanceColor) this.fronts.instanceColor.needsUpdate = true;
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
