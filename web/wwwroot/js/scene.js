// The 3D machine room: floor, walls, rows of racks, devices at their U positions, every port on its front panel,
// floor units, sensors, probes and the alarm lamp. Everything repeated is one InstancedMesh with per-instance
// colours, so draw calls stay constant however many devices and ports the room has (about a dozen).
// Used by the console (app.js) and the scene benchmark (perf.js) alike.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CSS2DRenderer, CSS2DObject } from 'three/addons/renderers/CSS2DRenderer.js';
import { SEVERITY_RANK as ALARM_RANK } from './toolkit.js';

export const U_METRES = 0.04445;
const RACK_PLINTH = 0.07;
const PANEL_WIDTH = 0.4826; // 19-inch front panel
const RECESS = 0.04; // front panels sit this far behind the rack's front edge

// 'adminDown' is a port's own state (shut down on purpose, ifAdminStatus down): not a fault, and not 'unknown' either.
export const STATUSES = ['unknown', 'ok', 'warning', 'alarm', 'down', 'adminDown'];
export const STATUS_COLORS = {
  unknown: '#7b8794',
  ok: '#22c55e',
  warning: '#facc15',
  alarm: '#f97316',
  down: '#ef4444',
  adminDown: '#7c6cf0',
};
/** Alarm severities' colours in the 3D room (critical red, major orange, minor yellow, warning blue). */
export const ALARM_COLORS = { critical: '#ff2d2d', major: '#ff8a1f', minor: '#ffd60a', warning: '#4aa8ff' };
const STATUS_RANK = { unknown: 0, ok: 1, warning: 2, alarm: 3, down: 4, adminDown: 0 };
/** The alarm lamp's dome colours by the output lit (branch "language"); "off": no coil lit. */
export const LAMP_COLORS = { red: '#ff1a1a', yellow: '#ffd000', green: '#16c45a', off: '#2a2d31' };
/** The colour a lamp shows for its coils, worst first (red over yellow over green). */
export const lampColour = (lamp) => (lamp.red ? 'red' : lamp.yellow ? 'yellow' : lamp.green ? 'green' : 'off');
const STATUS_CODE = { unknown: 0, ok: 1, warning: 2, alarm: 3, down: 4, adminDown: 5 };

/** Chassis colours by kind (dark, so status colours stand out). */
const KIND_COLORS = {
  switch: '#2b3a4d', router: '#2f3b48', firewall: '#4a2f35', server: '#23272e', storage: '#2a2f3a',
  patchPanel: '#1b1e22', pdu: '#151719', ups: '#d9dde2', airConditioner: '#e4e7eb', sensor: '#f1f3f5',
  probe: '#e9ecef', lamp: '#30343a', other: '#3a3f46',
};

const PORT_SIZES = {
  copper: [0.0115, 0.0095], nic: [0.0115, 0.0095], console: [0.0115, 0.0095], management: [0.0115, 0.0095],
  sfp: [0.0135, 0.0085], sfpPlus: [0.0135, 0.0085], qsfp: [0.0185, 0.0085], outlet: [0.022, 0.018],
};

const FACING_ANGLE = { south: 0, north: Math.PI, east: Math.PI / 2, west: -Math.PI / 2 };

/** A port's short label on panels and chips: its number, or CON / MGMT for the console and management ports. */
export function portShortLabel(port) {
  if (port.kind === 'console') return 'CON';
  if (port.kind === 'management') return 'MGMT';
  return String(port.index);
}

/** Colour of a selected port's cable in 3D, and of the outline around the selected port. */
export const LINK_COLOR = '#ff4fd8';
export const PORT_OUTLINE_COLOR = '#ffffff';
/** Port numbers show on the selected device's panel when the camera is at most this far from it (metres). */
const PORT_LABEL_DISTANCE = 3;

/** A BoxGeometry with some of its six faces (+x, -x, +y, -y, +z, -z) left out. */
function boxWithFaces(keep) {
  const box = new THREE.BoxGeometry(1, 1, 1);
  const source = box.index.array;
  const index = [];
  for (const face of keep) for (let i = 0; i < 6; i++) index.push(source[face * 6 + i]);
  box.setIndex(index);
  box.clearGroups();
  return box;
}

function floorTexture(perforated) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 128;
  const g = canvas.getContext('2d');
  g.fillStyle = perforated ? '#41566b' : '#333a44';
  g.fillRect(0, 0, 128, 128);
  g.strokeStyle = perforated ? '#5d7a94' : '#3c444e';
  g.lineWidth = 4;
  g.strokeRect(2, 2, 124, 124);
  if (perforated) {
    g.fillStyle = '#1f2a35';
    for (let y = 16; y < 120; y += 10) for (let x = 16; x < 120; x += 10) g.fillRect(x, y, 5, 5);
  } else {
    g.fillStyle = 'rgba(255,255,255,0.025)';
    g.fillRect(8, 8, 112, 112);
  }
  const texture = new THREE.CanvasTexture(canvas);
  texture.wrapS = texture.wrapT = THREE.RepeatWrapping;
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.anisotropy = 4;
  return texture;
}

export class RoomScene {
  /**
   * @param {HTMLElement} container element the canvas fills
   * @param {{ labels?: boolean, antialias?: boolean, animate?: boolean }} options
   */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { labels: true, antialias: true, animate: true, ...options };
    this.renderer = new THREE.WebGLRenderer({ antialias: this.options.antialias, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.renderer.toneMapping = THREE.ACESFilmicToneMapping;
    this.renderer.toneMappingExposure = 1.05;
    container.appendChild(this.renderer.domElement);
    this.labelRenderer = null;
    if (this.options.labels) {
      this.labelRenderer = new CSS2DRenderer();
      this.labelRenderer.domElement.className = 'label-layer';
      container.appendChild(this.labelRenderer.domElement);
    }
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color('#0b1017');
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.05, 400);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.08;
    this.controls.maxPolarAngle = Math.PI * 0.495;
    this.controls.screenSpacePanning = true;
    this.raycaster = new THREE.Raycaster();
    this.flight = null;
    this.dirty = true;
    this.highlighted = -1;
    this.selected = -1;
    this.listeners = new Set();
    this.tmpColor = new THREE.Color();
    this.resize();
    this._onResize = () => this.resize();
    window.addEventListener('resize', this._onResize);
    this._frame = this._frame.bind(this);
    this.startTime = performance.now();
    this.rightInset = 0;
    if (this.options.animate) this.renderer.setAnimationLoop(this._frame);
  }

  _seconds() {
    return (performance.now() - this.startTime) / 1000;
  }

  /**
   * Keeps the view's centre in the part of the canvas not covered by a panel of this many pixels on the right,
   * so what the camera flies to is not hidden behind the side panel.
   */
  setRightInset(px) {
    this.rightInset = Math.max(0, px | 0);
    this.resize();
  }

  resize() {
    this.dirty = true;
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    const inset = Math.min(this.rightInset, w / 2);
    const bottom = Math.min(this.bottomInset ?? 0, h * 0.6); // a bottom sheet on a phone (setBottomInset): the centre above it
    this.camera.aspect = bottom > 0 ? (w + inset) / (h + bottom) : w / h;
    if (bottom > 0) this.camera.setViewOffset(w + inset, h + bottom, inset, bottom, w, h);
    else if (inset > 0) this.camera.setViewOffset(w + inset, h, inset, 0, w, h);
    else this.camera.clearViewOffset();
    this.camera.updateProjectionMatrix();
    this.renderer.setSize(w, h);
    if (this.labelRenderer) this.labelRenderer.setSize(w, h);
  }

  /** Builds the whole room from GET /api/rooms/{id} data. Call once per room. */
  build(room) {
    this.room = room;
    const scene = this.scene;
    const { width, depth, height } = room.size;

    // Lights: a cool ceiling wash, a warm fill, and a soft ambient so nothing is pitch black.
    scene.add(new THREE.HemisphereLight('#e3ecff', '#242a33', 2.0));
    scene.add(new THREE.AmbientLight('#ffffff', 0.35));
    const key = new THREE.DirectionalLight('#ffffff', 1.7);
    key.position.set(width * 0.3, height * 6, depth * 0.9);
    scene.add(key);
    const fill = new THREE.DirectionalLight('#9fb8ff', 0.8);
    fill.position.set(width * 1.2, height * 3, -depth * 0.4);
    scene.add(fill);
    const back = new THREE.DirectionalLight('#ffe2c0', 0.45);
    back.position.set(-width * 0.5, height * 2, depth * 0.3);
    scene.add(back);

    this._buildFloorAndWalls(width, depth, height);
    this._indexModels(room.models);
    this._buildRacks(room.racks);
    this._buildDevices(room.devices);
    this._buildHighlight();
    this._buildPortDetail(room.links);
    if (this.options.labels) this._buildLabels();
    this.home();
  }

  _buildFloorAndWalls(width, depth, height) {
    const tile = 0.6;
    const floorMaterial = new THREE.MeshStandardMaterial({ map: floorTexture(false), roughness: 0.85, metalness: 0.05 });
    floorMaterial.map.repeat.set(width / tile, depth / tile);
    const floor = new THREE.Mesh(new THREE.PlaneGeometry(width, depth), floorMaterial);
    floor.rotation.x = -Math.PI / 2;
    floor.position.set(width / 2, 0, depth / 2);
    floor.name = 'floor';
    this.scene.add(floor);

    // Walls: a box drawn from the inside, without floor and ceiling, so the room reads as a doll's house
    // from any outside angle (the near walls are culled).
    const walls = new THREE.Mesh(
      boxWithFaces([0, 1, 4, 5]),
      new THREE.MeshStandardMaterial({ color: '#4b5768', roughness: 0.95, side: THREE.BackSide }),
    );
    walls.scale.set(width, height, depth);
    walls.position.set(width / 2, height / 2, depth / 2);
    walls.name = 'walls';
    this.scene.add(walls);
    // A skirting line where walls meet the floor, as one thin frame.
    const skirting = new THREE.LineSegments(
      new THREE.EdgesGeometry(new THREE.BoxGeometry(width, 0.001, depth)),
      new THREE.LineBasicMaterial({ color: '#5b6b80' }),
    );
    skirting.position.set(width / 2, 0.002, depth / 2);
    this.scene.add(skirting);
  }

  _indexModels(models) {
    this.models = new Map();
    for (const model of models) {
      const ordinal = new Map();
      model.ports.forEach((p, i) => ordinal.set(p.index, i));
      // Most models number their ports 1..n in order: then the ordinal is index - first, no lookup needed.
      const first = model.ports.length ? model.ports[0].index : 0;
      const contiguous = model.ports.every((p, i) => p.index === first + i);
      this.models.set(model.id, { ...model, ordinal, first: contiguous ? first : null });
    }
  }

  /** Instance number of a device's port (by the model's port index), or -1. */
  _portInstance(i, index) {
    const model = this.deviceModels[i];
    if (!model) return -1;
    let ordinal;
    if (model.first !== null) {
      ordinal = index - model.first;
      if (!(ordinal >= 0 && ordinal < model.ports.length)) return -1;
    } else {
      ordinal = model.ordinal.get(index);
      if (ordinal === undefined) return -1;
    }
    return this.portStart[i] + ordinal;
  }

  _rackMatrix(rack, target = new THREE.Matrix4()) {
    const q = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(0, 1, 0), FACING_ANGLE[rack.facing] ?? 0);
    return target.compose(new THREE.Vector3(rack.x, 0, rack.z), q, new THREE.Vector3(1, 1, 1));
  }

  _buildRacks(racks) {
    const n = racks.length;
    this.racks = racks;
    this.rackIndex = new Map(racks.map((r, i) => [r.id, i]));
    this.rackMatrices = racks.map((r) => this._rackMatrix(r));
    this.rackWorst = new Uint8Array(n);
    this.rackDirty = new Set();

    // Cabinet: sides, top and bottom; front and rear open so devices and rear PDUs show.
    const bodyGeometry = boxWithFaces([0, 1, 2, 3]);
    bodyGeometry.translate(0, 0.5, 0);
    const bodyMaterial = new THREE.MeshStandardMaterial({ color: '#2a313c', roughness: 0.5, metalness: 0.4, side: THREE.DoubleSide });
    const body = new THREE.InstancedMesh(bodyGeometry, bodyMaterial, Math.max(1, n));
    // Four vertical posts (the 19-inch rails' frame) per rack.
    const posts = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1).translate(0, 0.5, 0),
      new THREE.MeshStandardMaterial({ color: '#4b5563', roughness: 0.4, metalness: 0.7 }), Math.max(1, n * 4));
    // A status light strip along the top front edge of each rack: the worst status inside it.
    const strips = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1),
      new THREE.MeshBasicMaterial({ toneMapped: false }), Math.max(1, n));
    const m = new THREE.Matrix4();
    const local = new THREE.Matrix4();
    const white = new THREE.Color(STATUS_COLORS.unknown);
    racks.forEach((rack, i) => {
      const h = rack.heightU * U_METRES + RACK_PLINTH * 2;
      const base = this.rackMatrices[i];
      body.setMatrixAt(i, m.copy(base).multiply(local.makeScale(rack.width, h, rack.depth)));
      const px = rack.width / 2 - 0.035;
      const pz = rack.depth / 2 - 0.03;
      let k = 0;
      for (const [sx, sz] of [[-1, 1], [1, 1], [-1, -1], [1, -1]]) {
        local.makeTranslation(sx * px, 0, sz * pz).multiply(new THREE.Matrix4().makeScale(0.03, h, 0.03));
        posts.setMatrixAt(i * 4 + k++, m.copy(base).multiply(local));
      }
      local.makeTranslation(0, h - 0.025, rack.depth / 2 - 0.005).multiply(new THREE.Matrix4().makeScale(rack.width - 0.04, 0.02, 0.01));
      strips.setMatrixAt(i, m.copy(base).multiply(local));
      strips.setColorAt(i, white);
    });
    body.count = n;
    posts.count = n * 4;
    strips.count = n;
    body.name = 'racks';
    posts.name = 'rack-posts';
    strips.name = 'rack-status';
    for (const mesh of [body, posts, strips]) {
      mesh.instanceMatrix.needsUpdate = true;
      mesh.computeBoundingSphere();
      this.scene.add(mesh);
    }
    this.rackMesh = body;
    this.rackStrips = strips;

    // Cold-aisle perforated tiles in front of every rack, and a cable tray above each row.
    const tiles = new THREE.InstancedMesh(new THREE.PlaneGeometry(1, 1).rotateX(-Math.PI / 2),
      new THREE.MeshStandardMaterial({ map: floorTexture(true), roughness: 0.8 }), Math.max(1, n));
    const trays = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1),
      new THREE.MeshStandardMaterial({ color: '#8a94a3', roughness: 0.45, metalness: 0.6 }), Math.max(1, n));
    racks.forEach((rack, i) => {
      const base = this.rackMatrices[i];
      local.makeTranslation(0, 0.004, rack.depth / 2 + 0.3).multiply(new THREE.Matrix4().makeScale(rack.width, 1, 0.6));
      tiles.setMatrixAt(i, m.copy(base).multiply(local));
      const h = rack.heightU * U_METRES + RACK_PLINTH * 2;
      local.makeTranslation(0, h + 0.35, -0.25).multiply(new THREE.Matrix4().makeScale(rack.width + 0.002, 0.05, 0.2));
      trays.setMatrixAt(i, m.copy(base).multiply(local));
    });
    tiles.count = trays.count = n;
    tiles.name = 'aisle-tiles';
    trays.name = 'cable-trays';
    for (const mesh of [tiles, trays]) {
      mesh.instanceMatrix.needsUpdate = true;
      mesh.computeBoundingSphere();
      this.scene.add(mesh);
    }
  }

  _buildDevices(devices) {
    const n = devices.length;
    this.devices = devices;
    this.deviceIndex = new Map(devices.map((d, i) => [d.id, i]));
    this.deviceStatus = new Uint8Array(n);
    this.deviceRack = new Int32Array(n).fill(-1);
    this.deviceMatrices = new Array(n);
    this.deviceSizes = new Float32Array(n * 3);
    this.portStart = new Int32Array(n + 1);
    this.deviceModels = new Array(n);
    let portCount = 0;
    for (let i = 0; i < n; i++) {
      this.portStart[i] = portCount;
      const model = this.models.get(devices[i].model);
      this.deviceModels[i] = model;
      portCount += model ? model.ports.length : 0;
    }
    this.portStart[n] = portCount;
    this.portDevice = new Int32Array(portCount);
    this.portStatus = new Uint8Array(portCount);

    const bodies = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1),
      new THREE.MeshStandardMaterial({ roughness: 0.5, metalness: 0.35 }), Math.max(1, n));
    const leds = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1),
      new THREE.MeshBasicMaterial({ toneMapped: false }), Math.max(1, n));
    // Front fascia of floor units (UPS display, air-conditioner grille): dark panels, one mesh for all.
    const fascia = new THREE.InstancedMesh(new THREE.PlaneGeometry(1, 1),
      new THREE.MeshStandardMaterial({ color: '#1d2530', roughness: 0.35, metalness: 0.3 }), Math.max(1, n * 2));
    let fasciaCount = 0;
    const ports = new THREE.InstancedMesh(new THREE.PlaneGeometry(1, 1),
      new THREE.MeshBasicMaterial({ toneMapped: false }), Math.max(1, portCount));
    this.kindColors = Object.fromEntries(Object.entries(KIND_COLORS).map(([k, v]) => [k, new THREE.Color(v)]));
    this.statusColors = STATUSES.map((s) => new THREE.Color(STATUS_COLORS[s]));
    // Linear RGB per status code, for the hot path that writes straight into instance colour buffers.
    this.statusRgb = new Float32Array(STATUSES.length * 3);
    this.statusColors.forEach((c, i) => this.statusRgb.set([c.r, c.g, c.b], i * 3));

    const m = new THREE.Matrix4();
    const local = new THREE.Matrix4();
    const scale = new THREE.Matrix4();
    const deviceMatrix = new THREE.Matrix4();
    const q = new THREE.Quaternion();
    const yAxis = new THREE.Vector3(0, 1, 0);
    const portMatrices = ports.instanceMatrix.array;
    ports.instanceColor = new THREE.InstancedBufferAttribute(new Float32Array(Math.max(1, portCount) * 3), 3);
    const portColors = ports.instanceColor.array;
    const rgb = this.statusRgb;
    let p = 0;
    for (let i = 0; i < n; i++) {
      const device = devices[i];
      const model = this.models.get(device.model);
      let w;
      let h;
      let d;
      if (device.placement === 'rack' && this.rackIndex.has(device.rack)) {
        const ri = this.rackIndex.get(device.rack);
        const rack = this.racks[ri];
        this.deviceRack[i] = ri;
        if (device.zeroU) {
          // 0U (a vertical PDU): a strip in the side channel beside the rails, behind the rear posts, running most of
          // the rack's height; its outlets face the door it is mounted at (the rear unless told).
          const size = model?.size ?? { width: 0.055, depth: 0.05, height: rack.heightU * U_METRES * 0.9 };
          w = size.width;
          h = Math.min(size.height, rack.heightU * U_METRES);
          d = size.depth;
          const channel = PANEL_WIDTH / 2 + (rack.width / 2 - PANEL_WIDTH / 2) / 2;
          const x = (device.zeroU === 'right' ? 1 : -1) * channel;
          const y = RACK_PLINTH + (rack.heightU * U_METRES) / 2;
          deviceMatrix.copy(this.rackMatrices[ri]);
          if (device.face !== 'front') deviceMatrix.multiply(local.makeRotationY(Math.PI));
          deviceMatrix.multiply(local.makeTranslation(x, y, rack.depth / 2 - 0.1 - d / 2));
        } else {
          const heightU = Math.max(1, model?.heightU || 1);
          w = PANEL_WIDTH;
          h = heightU * U_METRES - 0.0015;
          d = model?.depth === 'half' ? 0.45 : Math.min(0.8, rack.depth - 0.3);
          const y = RACK_PLINTH + (device.u - 1) * U_METRES + h / 2 + 0.00075;
          const front = rack.depth / 2 - RECESS;
          // Device frame: origin at the body's centre, front panel towards +z.
          deviceMatrix.copy(this.rackMatrices[ri]);
          if (device.face === 'rear') deviceMatrix.multiply(local.makeRotationY(Math.PI));
          deviceMatrix.multiply(local.makeTranslation(0, y, front - d / 2));
        }
      } else {
        const size = model?.size ?? { width: 0.3, depth: 0.3, height: 0.3 };
        w = size.width;
        h = size.height;
        d = size.depth;
        q.setFromAxisAngle(yAxis, THREE.MathUtils.degToRad(device.rotation || 0));
        // Floor units stand on the floor at (x, z); point things are centred at (x, y, z).
        const y = device.placement === 'floor' ? (device.y || 0) + h / 2 : device.y || 0;
        deviceMatrix.compose(new THREE.Vector3(device.x, y, device.z), q, new THREE.Vector3(1, 1, 1));
      }
      this.deviceMatrices[i] = deviceMatrix.clone();
      this.deviceSizes.set([w, h, d], i * 3);
      bodies.setMatrixAt(i, m.copy(deviceMatrix).multiply(scale.makeScale(w, h, d)));

      // Status light: a vertical strip at the left of the panel; the lamp's whole dome; a band on floor units.
      if (device.kind === 'lamp') {
        // the lamp's light column stands proud of its body (upper 60 %), so its colour is what one sees of the lamp
        local.makeTranslation(0, h * 0.2, 0).multiply(scale.makeScale(w * 1.06, h * 0.6, d * 1.06));
      } else if (device.placement === 'rack') {
        local.makeTranslation(-w / 2 + 0.012, 0, d / 2 + 0.0012).multiply(scale.makeScale(0.012, Math.max(0.008, h * 0.55), 0.002));
      } else if (device.kind === 'sensor' || device.kind === 'probe') {
        local.makeTranslation(0, h * 0.2, d / 2 + 0.002).multiply(scale.makeScale(w * 0.5, h * 0.25, 0.004));
      } else {
        local.makeTranslation(0, h * 0.36, d / 2 + 0.003).multiply(scale.makeScale(w * 0.7, 0.035, 0.004));
      }
      leds.setMatrixAt(i, m.copy(deviceMatrix).multiply(local));
      if (device.placement === 'floor') {
        // A display window above the status band and a louvred lower panel.
        local.makeTranslation(0, h * 0.2, d / 2 + 0.002).multiply(scale.makeScale(w * 0.7, h * 0.22, 1));
        fascia.setMatrixAt(fasciaCount++, m.copy(deviceMatrix).multiply(local));
        local.makeTranslation(0, -h * 0.25, d / 2 + 0.002).multiply(scale.makeScale(w * 0.8, h * 0.4, 1));
        fascia.setMatrixAt(fasciaCount++, m.copy(deviceMatrix).multiply(local));
      }

      const status = STATUS_CODE[device.status] ?? 0;
      this.deviceStatus[i] = status;
      this._paintDevice(bodies, leds, i, status);

      if (model) {
        // Port matrix = device matrix × translate(px, py, front) × scale(pw, ph, 1), written straight into the
        // instance buffer: 150,000 ports build in a few milliseconds this way.
        const panelW = device.placement === 'rack' && !device.zeroU ? PANEL_WIDTH : w;
        const e = deviceMatrix.elements;
        const front = d / 2 + 0.0008;
        const statuses = device.portStatus;
        const adminDown = device.portsAdminDown; // port indexes shut down on purpose, or null
        for (let k = 0; k < model.ports.length; k++) {
          const port = model.ports[k];
          const size = PORT_SIZES[port.kind] ?? PORT_SIZES.copper;
          const pw = size[0];
          const ph = Math.min(size[1], h * 0.4);
          const px = -panelW / 2 + port.x * panelW;
          const py = -h / 2 + port.y * h;
          const o = p * 16;
          portMatrices[o] = e[0] * pw; portMatrices[o + 1] = e[1] * pw; portMatrices[o + 2] = e[2] * pw; portMatrices[o + 3] = 0;
          portMatrices[o + 4] = e[4] * ph; portMatrices[o + 5] = e[5] * ph; portMatrices[o + 6] = e[6] * ph; portMatrices[o + 7] = 0;
          portMatrices[o + 8] = e[8]; portMatrices[o + 9] = e[9]; portMatrices[o + 10] = e[10]; portMatrices[o + 11] = 0;
          portMatrices[o + 12] = e[0] * px + e[4] * py + e[8] * front + e[12];
          portMatrices[o + 13] = e[1] * px + e[5] * py + e[9] * front + e[13];
          portMatrices[o + 14] = e[2] * px + e[6] * py + e[10] * front + e[14];
          portMatrices[o + 15] = 1;
          this.portDevice[p] = i;
          const ps = adminDown?.includes(port.index) ? STATUS_CODE.adminDown : STATUS_CODE[statuses?.[k]] ?? 0;
          this.portStatus[p] = ps;
          portColors[p * 3] = rgb[ps * 3];
          portColors[p * 3 + 1] = rgb[ps * 3 + 1];
          portColors[p * 3 + 2] = rgb[ps * 3 + 2];
          p++;
        }
      }
    }
    bodies.count = leds.count = n;
    fascia.count = fasciaCount;
    fascia.name = 'floor-unit-fascia';
    fascia.instanceMatrix.needsUpdate = true;
    fascia.computeBoundingSphere();
    this.scene.add(fascia);
    ports.count = portCount;
    bodies.name = 'devices';
    leds.name = 'device-status';
    ports.name = 'ports';
    for (const mesh of [bodies, leds, ports]) {
      mesh.instanceMatrix.needsUpdate = true;
      if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
      mesh.computeBoundingSphere();
      mesh.computeBoundingBox();
      this.scene.add(mesh);
    }
    this.deviceMesh = bodies;
    this.ledMesh = leds;
    this.portMesh = ports;
    for (let r = 0; r < this.racks.length; r++) this.rackDirty.add(r);
    this._refreshRacks();
  }

  _paintDevice(bodies, leds, i, status) {
    const device = this.devices[i];
    // Light-coloured kinds (UPS, air conditioners, sensors) are black 19-inch units when they sit in a rack.
    const light = device.placement === 'rack' && (device.kind === 'ups' || device.kind === 'airConditioner' || device.kind === 'sensor' || device.kind === 'probe');
    const base = (light ? null : this.kindColors[device.kind]) ?? this.kindColors.other;
    // Chassis keep their own colour when healthy and take a clear tint of a bad status, visible from afar.
    const tint = status >= 2 ? 0.45 : 0;
    this.tmpColor.copy(base).lerp(this.statusColors[status], tint);
    bodies.setColorAt(i, this.tmpColor);
    leds.setColorAt(i, this.statusColors[status]);
    if (device.kind === 'lamp') this._paintLampDome(leds, i);
  }

  // ---------- the alarm lamp: its dome shows what its coils show (branch "language") ----------
  // The lamp's dome is not painted from a status of its own: it takes the colour its coils were last read back as
  // (red / yellow / green, dark when none is lit), from the room's `lamp` field and then setLampState().

  /** Paints a lamp's dome from its coils' state; a lamp never read yet keeps the status colour. */
  _paintLampDome(leds, i) {
    const device = this.devices[i];
    this.lampStates ??= new Map();
    if (!this.lampStates.has(device.id) && device.lamp) this.lampStates.set(device.id, device.lamp);
    const lamp = this.lampStates.get(device.id);
    if (!lamp) return;
    leds.setColorAt(i, this.tmpColor.set(LAMP_COLORS[lampColour(lamp)]));
  }

  /** The lamp's coils as read back ({ red, yellow, green, buzzer, at }): repaints its dome. False when not a lamp here. */
  setLampState(id, lamp) {
    const i = this.deviceIndex.get(id);
    if (i === undefined || this.devices[i].kind !== 'lamp' || !lamp) return false;
    this.lampStates ??= new Map();
    this.lampStates.set(id, lamp);
    this._paintLampDome(this.ledMesh, i);
    this.ledMesh.instanceColor.needsUpdate = true;
    this.dirty = true;
    return true;
  }

  /** What the 3D lamp shows: { colour: red|yellow|green|off, buzzer, drawn: '#rrggbb' }, or null before its coils were read. */
  lampState(id) {
    const lamp = this.lampStates?.get(id);
    if (!lamp) return null;
    return { colour: lampColour(lamp), buzzer: !!lamp.buzzer, at: lamp.at ?? null, drawn: this.deviceColor(id) };
  }

  _refreshRacks() {
    if (this.rackDirty.size === 0) return;
    const worst = this.rackWorst;
    for (const r of this.rackDirty) worst[r] = 0;
    for (let i = 0; i < this.devices.length; i++) {
      const r = this.deviceRack[i];
      if (r >= 0 && this.rackDirty.has(r)) {
        // "unknown" ranks lowest; a rack with only healthy devices is ok.
        const s = this.deviceStatus[i];
        if (STATUS_RANK[STATUSES[s]] > worst[r]) worst[r] = s;
      }
    }
    for (const r of this.rackDirty) this.rackStrips.setColorAt(r, this.statusColors[worst[r]]);
    this.rackStrips.instanceColor.needsUpdate = true;
    this.rackDirty.clear();
  }

  /** Sets one device's status; returns false when the device is not in this room. */
  setDeviceStatus(id, status) {
    const ok = this._setDevice(id, status);
    this.deviceMesh.instanceColor.needsUpdate = true;
    this.ledMesh.instanceColor.needsUpdate = true;
    return ok;
  }

  /** Sets one port's status (port index as in the model); returns false when unknown. */
  setPortStatus(deviceId, index, status) {
    const ok = this._setPort(deviceId, index, status);
    this.portMesh.instanceColor.needsUpdate = true;
    return ok;
  }

  /** World-space bounding box of a device's body, {min: [x, y, z], max: [x, y, z]}, or null (tests, locating). */
  deviceBounds(id) {
    const i = this.deviceIndex.get(id);
    if (i === undefined || !this.deviceMatrices[i]) return null;
    const [w, h, d] = this.deviceSizes.subarray(i * 3, i * 3 + 3);
    const box = new THREE.Box3(new THREE.Vector3(-w / 2, -h / 2, -d / 2), new THREE.Vector3(w / 2, h / 2, d / 2));
    box.applyMatrix4(this.deviceMatrices[i]);
    return { min: box.min.toArray(), max: box.max.toArray() };
  }

  _setDevice(id, status) {
    this.dirty = true;
    const i = this.deviceIndex.get(id);
    if (i === undefined) return false;
    const code = STATUS_CODE[status] ?? 0;
    if (this.deviceStatus[i] === code) return true;
    this.deviceStatus[i] = code;
    this._paintDevice(this.deviceMesh, this.ledMesh, i, code);
    if (this.deviceRack[i] >= 0) this.rackDirty.add(this.deviceRack[i]);
    return true;
  }

  _setPort(deviceId, index, status) {
    this.dirty = true;
    const i = this.deviceIndex.get(deviceId);
    if (i === undefined) return false;
    const p = this._portInstance(i, index);
    if (p < 0) return false;
    const code = STATUS_CODE[status] ?? 0;
    this.portStatus[p] = code;
    const colors = this.portMesh.instanceColor.array;
    const rgb = this.statusRgb;
    colors[p * 3] = rgb[code * 3];
    colors[p * 3 + 1] = rgb[code * 3 + 1];
    colors[p * 3 + 2] = rgb[code * 3 + 2];
    return true;
  }

  /** Applies a hub `changes` message (devices and ports); values are the console's business. */
  applyChanges(changes) {
    let applied = 0;
    const devices = changes.devices;
    if (devices?.length) {
      for (let k = 0; k < devices.length; k++) if (this._setDevice(devices[k].id, devices[k].status)) applied++;
      this.deviceMesh.instanceColor.needsUpdate = true;
      this.ledMesh.instanceColor.needsUpdate = true;
    }
    const ports = changes.ports;
    if (ports?.length) {
      for (let k = 0; k < ports.length; k++) if (this._setPort(ports[k].device, ports[k].index, ports[k].adminDown ? 'adminDown' : ports[k].status)) applied++;
      this.portMesh.instanceColor.needsUpdate = true;
    }
    return applied;
  }

  deviceStatusOf(id) {
    const i = this.deviceIndex.get(id);
    return i === undefined ? null : STATUSES[this.deviceStatus[i]];
  }

  portStatusOf(deviceId, index) {
    const i = this.deviceIndex.get(deviceId);
    const p = i === undefined ? -1 : this._portInstance(i, index);
    return p < 0 ? null : STATUSES[this.portStatus[p]];
  }

  /** Colour drawn for a device's status light, as '#rrggbb' (sRGB), or null. */
  deviceColor(id) {
    const i = this.deviceIndex.get(id);
    if (i === undefined) return null;
    this.ledMesh.getColorAt(i, this.tmpColor);
    return '#' + this.tmpColor.getHexString();
  }

  portColor(deviceId, index) {
    const i = this.deviceIndex.get(deviceId);
    const p = i === undefined ? -1 : this._portInstance(i, index);
    if (p < 0) return null;
    this.portMesh.getColorAt(p, this.tmpColor);
    return '#' + this.tmpColor.getHexString();
  }

  /** How many ports are shown administratively down (the legend counts them). */
  adminDownPortCount() {
    let n = 0;
    for (let p = 0; p < this.portStatus.length; p++) if (this.portStatus[p] === STATUS_CODE.adminDown) n++;
    return n;
  }

  statusCounts() {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (let i = 0; i < this.deviceStatus.length; i++) counts[STATUSES[this.deviceStatus[i]]]++;
    return counts;
  }

  _buildHighlight() {
    const group = new THREE.Group();
    group.visible = false;
    const edges = new THREE.LineSegments(new THREE.EdgesGeometry(new THREE.BoxGeometry(1, 1, 1)),
      new THREE.LineBasicMaterial({ color: '#38bdf8', toneMapped: false, depthTest: false, transparent: true }));
    edges.renderOrder = 10;
    // No front face (+z of the device frame): the glow must not wash out the front panel's port colours.
    const glow = new THREE.Mesh(boxWithFaces([0, 1, 2, 3, 5]),
      new THREE.MeshBasicMaterial({ color: '#38bdf8', transparent: true, opacity: 0.25, depthWrite: false, toneMapped: false }));
    glow.renderOrder = 9;
    group.add(edges, glow);
    this.scene.add(group);
    // A marker that floats above the selection and points down at it.
    const pin = new THREE.Mesh(new THREE.ConeGeometry(0.09, 0.24, 16).rotateX(Math.PI),
      new THREE.MeshBasicMaterial({ color: '#38bdf8', toneMapped: false }));
    pin.visible = false;
    this.scene.add(pin);
    this.highlight = { group, edges, glow, pin, base: new THREE.Matrix4(), top: new THREE.Vector3(), since: 0 };
  }

  /** Outlines and pulses a device (or clears with null). */
  setHighlight(deviceId) {
    const i = deviceId == null ? -1 : this.deviceIndex.get(deviceId) ?? -1;
    this.highlighted = i;
    const h = this.highlight;
    this.dirty = true;
    if (i < 0) {
      h.group.visible = h.pin.visible = false;
      return;
    }
    const w = this.deviceSizes[i * 3];
    const ht = this.deviceSizes[i * 3 + 1];
    const d = this.deviceSizes[i * 3 + 2];
    const pad = 0.02;
    h.base.copy(this.deviceMatrices[i]).multiply(new THREE.Matrix4().makeScale(w + pad, ht + pad, d + pad));
    h.group.matrixAutoUpdate = false;
    h.group.matrix.copy(h.base);
    h.group.visible = true;
    const r = this.deviceRack[i];
    if (r >= 0) {
      const rack = this.racks[r];
      h.top.set(rack.x, rack.heightU * U_METRES + RACK_PLINTH * 2 + 0.75, rack.z);
    } else {
      h.top.setFromMatrixPosition(this.deviceMatrices[i]).add(new THREE.Vector3(0, ht / 2 + 0.5, 0));
    }
    h.pin.position.copy(h.top);
    h.pin.visible = true;
    h.since = this._seconds();
  }

  _animateHighlight(t) {
    const h = this.highlight;
    if (!h || !h.group.visible) return;
    const pulse = 0.5 + 0.5 * Math.sin((t - h.since) * 6);
    const s = 1 + 0.12 * pulse;
    h.group.matrix.copy(h.base).multiply(new THREE.Matrix4().makeScale(s, 1 + 0.6 * pulse, s));
    h.glow.material.opacity = 0.15 + 0.3 * pulse;
    h.edges.material.opacity = 0.6 + 0.4 * pulse;
    h.pin.position.y = h.top.y + 0.08 * Math.sin((t - h.since) * 4);
    h.pin.rotation.y = t * 2;
  }

  _buildLabels() {
    this.labels = [];
    const byRow = new Map();
    for (const rack of this.racks) {
      const el = document.createElement('div');
      el.className = 'rack-label';
      el.textContent = rack.name;
      const label = new CSS2DObject(el);
      label.position.set(rack.x, rack.heightU * U_METRES + RACK_PLINTH * 2 + 0.12, rack.z);
      label.userData.kind = 'rack';
      this.scene.add(label);
      this.labels.push(label);
      if (!byRow.has(rack.row)) byRow.set(rack.row, []);
      byRow.get(rack.row).push(rack);
    }
    this.rowLabels = [];
    for (const row of this.room.rows) {
      const racks = byRow.get(row.id);
      if (!racks?.length) continue;
      // At the west end of the row, a little beyond its first rack.
      const first = racks.reduce((a, b) => (b.x < a.x ? b : a));
      const el = document.createElement('div');
      el.className = 'row-label';
      el.textContent = row.name;
      el.dataset.row = row.id;
      const label = new CSS2DObject(el);
      label.position.set(first.x - first.width / 2 - 0.5, 1.2, first.z);
      this.scene.add(label);
      this.rowLabels.push(label);
    }
  }

  setRowLabelText(fn) {
    this.dirty = true;
    for (const label of this.rowLabels ?? []) label.element.textContent = fn(label.element.dataset.row);
  }

  /** Default view: the whole room from the south-east, a little above. */
  home(smooth = false) {
    const { width, depth, height } = this.room.size;
    // Frame what is in the room (racks and floor units), not the empty corners.
    const box = new THREE.Box3();
    for (const rack of this.racks) box.expandByPoint(new THREE.Vector3(rack.x, 0, rack.z));
    for (const d of this.devices) if (d.placement !== 'rack') box.expandByPoint(new THREE.Vector3(d.x, 0, d.z));
    if (box.isEmpty()) box.set(new THREE.Vector3(0, 0, 0), new THREE.Vector3(width, 0, depth));
    box.expandByScalar(1.2);
    const centre = box.getCenter(new THREE.Vector3());
    const span = Math.max(box.max.x - box.min.x, box.max.z - box.min.z, 4);
    const target = new THREE.Vector3(centre.x, 0.6, centre.z);
    const position = new THREE.Vector3(centre.x + span * 0.3, height + span * 0.55, centre.z + span * 0.75);
    this.flyTo(position, target, smooth ? 900 : 0);
  }

  flyTo(position, target, ms = 900) {
    this.dirty = true;
    if (ms <= 0) {
      this.flight = null;
      this.camera.position.copy(position);
      this.controls.target.copy(target);
      this.controls.update();
      return;
    }
    this.flight = {
      fromPos: this.camera.position.clone(), fromTarget: this.controls.target.clone(),
      toPos: position.clone(), toTarget: target.clone(), start: performance.now(), ms,
    };
  }

  /** Flies to stand in front of a rack, looking at its face. */
  flyToRack(rackId, ms = 900) {
    const r = this.rackIndex.get(rackId);
    if (r === undefined) return false;
    const rack = this.racks[r];
    const mid = rack.heightU * U_METRES * 0.5 + RACK_PLINTH;
    const target = new THREE.Vector3(0, mid, 0).applyMatrix4(this.rackMatrices[r]);
    const position = new THREE.Vector3(0.7, mid + 0.6, rack.depth / 2 + 2.2).applyMatrix4(this.rackMatrices[r]);
    this.flyTo(position, target, ms);
    return true;
  }

  /** Flies close to a device's front panel, staying in the aisle in front of it (never inside the next row). */
  flyToDevice(deviceId, ms = 900) {
    const i = this.deviceIndex.get(deviceId);
    if (i === undefined) return false;
    const ht = this.deviceSizes[i * 3 + 1];
    const d = this.deviceSizes[i * 3 + 2];
    const target = new THREE.Vector3(0, 0, d / 2).applyMatrix4(this.deviceMatrices[i]);
    let distance = this.deviceRack[i] >= 0 ? 1.7 : Math.max(1.5, ht * 2.2);
    const outward = new THREE.Vector3(0, 0, 1).transformDirection(this.deviceMatrices[i]);
    const free = this._freeDistance(target, outward, distance + 0.5, this.deviceRack[i]);
    if (free < distance + 0.3) distance = Math.max(0.5, free - 0.3);
    const position = new THREE.Vector3(0.25, 0.3, d / 2 + distance).applyMatrix4(this.deviceMatrices[i]);
    if (position.y < 0.3) position.y = 0.3;
    this.flyTo(position, target, ms);
    return true;
  }

  /** How far one can go from a point in a direction before entering another rack's footprint. */
  _freeDistance(origin, direction, max, ownRack = -1) {
    const ray = new THREE.Ray(origin, direction);
    const box = new THREE.Box3();
    const hit = new THREE.Vector3();
    let nearest = max;
    this.racks.forEach((rack, r) => {
      if (r === ownRack) return;
      const sideways = rack.facing === 'east' || rack.facing === 'west';
      const hx = (sideways ? rack.depth : rack.width) / 2;
      const hz = (sideways ? rack.width : rack.depth) / 2;
      box.min.set(rack.x - hx, 0, rack.z - hz);
      box.max.set(rack.x + hx, rack.heightU * U_METRES + RACK_PLINTH * 2 + 0.5, rack.z + hz);
      if (ray.intersectBox(box, hit)) nearest = Math.min(nearest, hit.distanceTo(origin));
    });
    return nearest;
  }

  /** What is under a point of the canvas: a port, a device or a rack, or null. */
  pick(clientX, clientY) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.camera);
    const hits = this.raycaster.intersectObjects([this.portMesh, this.ledMesh, this.deviceMesh, this.rackMesh], false);
    for (const hit of hits) {
      if (hit.instanceId === undefined) continue;
      if (hit.object === this.portMesh) {
        const i = this.portDevice[hit.instanceId];
        const model = this.models.get(this.devices[i].model);
        const port = model.ports[hit.instanceId - this.portStart[i]];
        return { type: 'port', deviceId: this.devices[i].id, index: port.index };
      }
      if (hit.object === this.deviceMesh || hit.object === this.ledMesh) return { type: 'device', deviceId: this.devices[hit.instanceId].id };
      if (hit.object === this.rackMesh) return { type: 'rack', rackId: this.racks[hit.instanceId].id };
    }
    return null;
  }

  /** Screen position (CSS pixels relative to the page) of a device's front-panel centre, or of a rack's middle. */
  screenPosition(id) {
    let world = null;
    const i = this.deviceIndex.get(id);
    if (i !== undefined) {
      world = new THREE.Vector3(0, 0, this.deviceSizes[i * 3 + 2] / 2).applyMatrix4(this.deviceMatrices[i]);
    } else if (this.rackIndex.has(id)) {
      const r = this.rackIndex.get(id);
      const rack = this.racks[r];
      world = new THREE.Vector3(0, rack.heightU * U_METRES * 0.5, rack.depth / 2).applyMatrix4(this.rackMatrices[r]);
    }
    if (!world) return null;
    const v = world.project(this.camera);
    const rect = this.renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((v.x + 1) / 2) * rect.width, y: rect.top + ((1 - v.y) / 2) * rect.height, visible: v.z < 1 && Math.abs(v.x) <= 1 && Math.abs(v.y) <= 1 };
  }

  // ---------- alarms: glow and blink the alarmed devices and ports, a beacon on top of their racks ----------

  /**
   * Shows alarms in the room: each item { deviceId, port (index or null), severity, silent } glows in its severity's
   * colour; alerting ones blink, silent ones (suppressed, shelved, in maintenance) glow dimmer and steady. The rack
   * (or, off-rack, the device) of each alarm gets a beacon on its top in the worst severity's colour.
   */
  setAlarms(items) {
    if (!this.devices) return;
    if (!this.alarmOverlay) this._buildAlarmOverlay();
    const o = this.alarmOverlay;
    const targets = new Map(); // key -> { i, port, severity, silent }
    for (const a of items) {
      const i = this.deviceIndex.get(a.deviceId);
      if (i === undefined) continue;
      const key = a.port == null ? `${a.deviceId}` : `${a.deviceId}:${a.port}`;
      const rank = ALARM_RANK[a.severity] ?? 0;
      const prev = targets.get(key);
      // worst severity wins; an alerting alarm wins over a silent one of the same target
      if (!prev || (!a.silent && prev.silent) || (a.silent === prev.silent && rank > ALARM_RANK[prev.severity])) {
        targets.set(key, { i, port: a.port == null ? null : Number(a.port), severity: a.severity, silent: !!a.silent });
      }
    }
    const beacons = new Map(); // beacon key -> { matrix position, severity, silent }
    const m = new THREE.Matrix4();
    const local = new THREE.Matrix4();
    let blink = 0;
    let steady = 0;
    o.state.clear();
    this._ensureAlarmCapacity(targets.size);
    for (const [key, t] of targets) {
      const w = this.deviceSizes[t.i * 3];
      const h = this.deviceSizes[t.i * 3 + 1];
      const d = this.deviceSizes[t.i * 3 + 2];
      const pi = t.port == null ? -1 : this._portInstance(t.i, t.port);
      if (pi >= 0) {
        this.portMesh.getMatrixAt(pi, m);
        m.multiply(local.makeScale(1.8, 1.8, 0.03));
      } else {
        m.copy(this.deviceMatrices[t.i]).multiply(local.makeScale(w + 0.03, h + 0.03, d + 0.03));
      }
      const color = o.colors[t.severity] ?? o.colors.warning;
      const mesh = t.silent ? o.steady : o.blink;
      const n = t.silent ? steady++ : blink++;
      mesh.setMatrixAt(n, m);
      mesh.setColorAt(n, color);
      o.state.set(key, { severity: t.severity, blinking: !t.silent, color: `#${color.getHexString()}` });
      const r = this.deviceRack[t.i];
      const bkey = r >= 0 ? `rack:${r}` : `device:${t.i}`;
      const b = beacons.get(bkey);
      if (!b || (!t.silent && b.silent) || (t.silent === b.silent && ALARM_RANK[t.severity] > ALARM_RANK[b.severity])) {
        beacons.set(bkey, { r, i: t.i, severity: t.severity, silent: t.silent });
      }
    }
    o.blink.count = blink;
    o.steady.count = steady;
    this._ensureBeaconCapacity(beacons.size);
    let bb = 0;
    let bs = 0;
    o.beaconState.clear();
    for (const b of beacons.values()) {
      if (b.r >= 0) {
        const rack = this.racks[b.r];
        m.copy(this.rackMatrices[b.r]).multiply(local.makeTranslation(0, rack.heightU * U_METRES + RACK_PLINTH * 2 + 0.09, 0));
        o.beaconState.set(rack.id, { severity: b.severity, blinking: !b.silent });
      } else {
        const h = this.deviceSizes[b.i * 3 + 1];
        m.copy(this.deviceMatrices[b.i]).multiply(local.makeTranslation(0, h / 2 + 0.09, 0));
        o.beaconState.set(this.devices[b.i].id, { severity: b.severity, blinking: !b.silent });
      }
      const mesh = b.silent ? o.beaconSteady : o.beaconBlink;
      const n = b.silent ? bs++ : bb++;
      mesh.setMatrixAt(n, m);
      mesh.setColorAt(n, o.colors[b.severity] ?? o.colors.warning);
    }
    o.beaconBlink.count = bb;
    o.beaconSteady.count = bs;
    for (const mesh of [o.blink, o.steady, o.beaconBlink, o.beaconSteady]) {
      mesh.instanceMatrix.needsUpdate = true;
      if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
      mesh.computeBoundingSphere();
    }
    this.dirty = true;
  }

  /** What the scene shows for an alarmed device (port null) or port: { severity, blinking, color } or null. */
  alarmStateOf(deviceId, port = null) {
    const key = port == null ? `${deviceId}` : `${deviceId}:${port}`;
    return this.alarmOverlay?.state.get(key) ?? null;
  }

  /** The beacon on a rack (or an off-rack device): { severity, blinking } or null. */
  beaconOf(id) {
    return this.alarmOverlay?.beaconState.get(id) ?? null;
  }

  /** How many glows blink (alerting) and how many are steady (silent). */
  alarmCounts() {
    const o = this.alarmOverlay;
    return o ? { blinking: o.blink.count, steady: o.steady.count, beacons: o.beaconBlink.count + o.beaconSteady.count } : { blinking: 0, steady: 0, beacons: 0 };
  }

  _buildAlarmOverlay() {
    const glow = (opacity) => new THREE.MeshBasicMaterial({ transparent: true, opacity, depthWrite: false, toneMapped: false });
    const make = (geometry, material, name) => {
      const mesh = new THREE.InstancedMesh(geometry, material, 16);
      mesh.instanceColor = new THREE.InstancedBufferAttribute(new Float32Array(16 * 3), 3);
      mesh.count = 0;
      mesh.name = name;
      mesh.renderOrder = 8;
      mesh.frustumCulled = false;
      this.scene.add(mesh);
      return mesh;
    };
    const box = new THREE.BoxGeometry(1, 1, 1);
    const beacon = new THREE.CylinderGeometry(0.07, 0.09, 0.16, 20);
    this.alarmOverlay = {
      colors: Object.fromEntries(Object.entries(ALARM_COLORS).map(([k, v]) => [k, new THREE.Color(v)])),
      blink: make(box, glow(0.6), 'alarm-blink'),
      steady: make(box, glow(0.22), 'alarm-steady'),
      beaconBlink: make(beacon, glow(0.95), 'alarm-beacon-blink'),
      beaconSteady: make(beacon, glow(0.35), 'alarm-beacon-steady'),
      state: new Map(),
      beaconState: new Map(),
      phase: -1,
      toggles: 0,
    };
  }

  _growAlarmMesh(key, size) {
    const o = this.alarmOverlay;
    const old = o[key];
    if (old.instanceMatrix.count >= size) return;
    let capacity = old.instanceMatrix.count;
    while (capacity < size) capacity *= 2;
    const mesh = new THREE.InstancedMesh(old.geometry, old.material, capacity);
    mesh.instanceColor = new THREE.InstancedBufferAttribute(new Float32Array(capacity * 3), 3);
    mesh.name = old.name;
    mesh.renderOrder = old.renderOrder;
    mesh.frustumCulled = false;
    mesh.visible = old.visible;
    this.scene.remove(old);
    old.dispose();
    this.scene.add(mesh);
    o[key] = mesh;
  }

  _ensureAlarmCapacity(n) {
    this._growAlarmMesh('blink', n);
    this._growAlarmMesh('steady', n);
  }

  _ensureBeaconCapacity(n) {
    this._growAlarmMesh('beaconBlink', n);
    this._growAlarmMesh('beaconSteady', n);
  }

  /** Blinks alerting glows and beacons about three times a second; asks for a frame only when the phase flips. */
  _animateAlarms(t) {
    const o = this.alarmOverlay;
    if (!o || (o.blink.count === 0 && o.beaconBlink.count === 0)) return;
    const phase = Math.floor(t * 3) % 2;
    if (phase === o.phase) return;
    o.phase = phase;
    o.toggles++;
    o.blink.visible = o.beaconBlink.visible = phase === 0;
    this.dirty = true;
  }

  drawCalls() {
    return this.renderer.info.render.calls;
  }

  onFrame(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  render() {
    this._refreshRacks();
    this._updatePortDetail();
    this.renderer.render(this.scene, this.camera);
    if (this.labelRenderer) {
      // Rack labels only when close enough to read them; row labels always.
      const distance = this.camera.position.distanceTo(this.controls.target);
      const showRacks = distance < 14 || this.racks.length <= 24;
      for (const label of this.labels) label.visible = showRacks;
      this.labelRenderer.render(this.scene, this.camera);
    }
  }

  /** Asks for a frame: the loop draws only when something changed (a wall screen idles at almost no CPU). */
  invalidate() {
    this.dirty = true;
  }

  _frame() {
    const t = this._seconds();
    this._animateAlarms(t);
    const flying = this.flight !== null;
    if (this.flight) {
      const f = this.flight;
      const k = Math.min(1, (performance.now() - f.start) / f.ms);
      const e = k < 0.5 ? 4 * k * k * k : 1 - Math.pow(-2 * k + 2, 3) / 2;
      this.camera.position.lerpVectors(f.fromPos, f.toPos, e);
      this.controls.target.lerpVectors(f.fromTarget, f.toTarget, e);
      if (k >= 1) this.flight = null;
    }
    const moved = this.controls.update();
    const pulsing = this.highlight?.group.visible;
    if (flying || moved || pulsing || this.dirty) {
      this.dirty = false;
      this._animateHighlight(t);
      this.render();
      for (const fn of this.listeners) fn(t);
    }
  }

  // ---------- ports up close: numbers on the selected device's panel, the selected port outlined, its cable ----------
  // One label plane (a canvas texture drawn once per selection), one outline and one cable mesh: three draw calls at
  // most, and only while a device is selected; nothing is redrawn per frame but their visibility.

  _buildPortDetail(links) {
    // "device:port" -> the far end { device, port }, both ways
    this.links = new Map();
    for (const link of links ?? []) {
      this.links.set(`${link.from.device}:${link.from.port}`, link.to);
      this.links.set(`${link.to.device}:${link.to.port}`, link.from);
    }
    const canvas = document.createElement('canvas');
    const texture = new THREE.CanvasTexture(canvas);
    texture.colorSpace = THREE.SRGBColorSpace;
    texture.anisotropy = 8;
    const labels = new THREE.Mesh(new THREE.PlaneGeometry(1, 1),
      new THREE.MeshBasicMaterial({ map: texture, transparent: true, depthWrite: false, toneMapped: false }));
    labels.name = 'port-labels';
    labels.matrixAutoUpdate = false;
    labels.visible = false;
    labels.renderOrder = 8;
    const outline = new THREE.Mesh(new THREE.BufferGeometry(),
      new THREE.MeshBasicMaterial({ color: PORT_OUTLINE_COLOR, toneMapped: false, depthTest: false, side: THREE.DoubleSide }));
    outline.name = 'port-outline';
    outline.matrixAutoUpdate = false;
    outline.visible = false;
    outline.renderOrder = 11;
    const cable = new THREE.Mesh(new THREE.BufferGeometry(), new THREE.MeshBasicMaterial({ color: LINK_COLOR, toneMapped: false }));
    cable.name = 'port-link';
    cable.visible = false;
    this.scene.add(labels, outline, cable);
    this.portDetail = { canvas, texture, labels, outline, cable, device: -1, port: null, texts: [], peer: null, path: null, near: false };
  }

  /** The far end of a port's cable as the room file declares it, { device, port }, or null. */
  peerOf(deviceId, index) {
    return this.links?.get(`${deviceId}:${index}`) ?? null;
  }

  /**
   * Shows a device's ports up close: their numbers on its front panel (while the camera is near), and with a port
   * (the model's index) that port outlined and its cable drawn to the far end, also across racks. null clears.
   */
  setPortSelection(deviceId, port = null) {
    const pd = this.portDetail;
    if (!pd) return;
    this.dirty = true;
    const i = deviceId == null ? -1 : this.deviceIndex.get(deviceId) ?? -1;
    if (i !== pd.device) {
      pd.device = i;
      pd.texts = i >= 0 ? this._drawPortLabels(i) : [];
    }
    const p = i >= 0 && port != null ? this._portInstance(i, Number(port)) : -1;
    pd.port = p >= 0 ? Number(port) : null;
    pd.outline.visible = false;
    pd.cable.visible = false;
    pd.peer = null;
    pd.path = null;
    if (p < 0) return;
    const { centre, x, y, z, pw, ph } = this._portFrame(p);
    // the outline: a frame a little outside the port's edge, just in front of the panel
    const border = Math.max(0.0018, Math.min(pw, ph) * 0.22);
    const frame = new THREE.Shape();
    frame.moveTo(-pw / 2 - border, -ph / 2 - border);
    frame.lineTo(pw / 2 + border, -ph / 2 - border);
    frame.lineTo(pw / 2 + border, ph / 2 + border);
    frame.lineTo(-pw / 2 - border, ph / 2 + border);
    frame.closePath();
    const hole = new THREE.Path();
    hole.moveTo(-pw / 2 - border * 0.3, -ph / 2 - border * 0.3);
    hole.lineTo(-pw / 2 - border * 0.3, ph / 2 + border * 0.3);
    hole.lineTo(pw / 2 + border * 0.3, ph / 2 + border * 0.3);
    hole.lineTo(pw / 2 + border * 0.3, -ph / 2 - border * 0.3);
    hole.closePath();
    frame.holes.push(hole);
    pd.outline.geometry.dispose();
    pd.outline.geometry = new THREE.ShapeGeometry(frame);
    pd.outline.matrix.makeBasis(x, y, z).setPosition(centre.clone().addScaledVector(z, 0.0006));
    pd.outline.visible = true;

    const peer = this.peerOf(this.devices[i].id, pd.port);
    const j = peer ? this.deviceIndex.get(peer.device) ?? -1 : -1;
    const q = j >= 0 ? this._portInstance(j, peer.port) : -1;
    if (q < 0) return;
    pd.peer = peer;
    const far = this._portFrame(q);
    // The cable leaves just below the port (the port's own colour stays in sight), runs out into the aisle,
    // up above the racks and across, and down into the far port.
    const radius = 0.0035;
    const start = centre.clone().addScaledVector(y, -ph / 2 - radius);
    const end = far.centre.clone().addScaledVector(far.y, -far.ph / 2 - radius);
    const out = start.clone().addScaledVector(z, 0.15);
    const farOut = end.clone().addScaledVector(far.z, 0.15);
    const points = [start, out];
    const ri = this.deviceRack[i];
    const rj = this.deviceRack[j];
    if (ri >= 0 && ri === rj) {
      points.push(farOut);
    } else {
      const top = Math.max(this._topOf(i), this._topOf(j)) + 0.25;
      points.push(new THREE.Vector3(out.x, top, out.z), new THREE.Vector3(farOut.x, top, farOut.z), farOut);
    }
    points.push(end);
    const path = new THREE.CurvePath();
    for (let k = 1; k < points.length; k++) path.add(new THREE.LineCurve3(points[k - 1], points[k]));
    pd.cable.geometry.dispose();
    pd.cable.geometry = new THREE.TubeGeometry(path, Math.max(16, (points.length - 1) * 12), radius, 8, false);
    pd.cable.visible = true;
    pd.path = points;
  }

  /** A port instance's centre, axes (x right, y up, z out of the panel; unit length) and size, in world space. */
  _portFrame(p) {
    const m = new THREE.Matrix4();
    this.portMesh.getMatrixAt(p, m);
    const x = new THREE.Vector3();
    const y = new THREE.Vector3();
    const z = new THREE.Vector3();
    m.extractBasis(x, y, z);
    const pw = x.length();
    const ph = y.length();
    x.normalize();
    y.normalize();
    z.normalize();
    return { centre: new THREE.Vector3().setFromMatrixPosition(m), x, y, z, pw, ph };
  }

  /** Height of the top of a device's rack, or a little above a device that stands free. */
  _topOf(i) {
    const r = this.deviceRack[i];
    if (r >= 0) return this.racks[r].heightU * U_METRES + RACK_PLINTH * 2;
    return new THREE.Vector3().setFromMatrixPosition(this.deviceMatrices[i]).y + this.deviceSizes[i * 3 + 1] / 2;
  }

  /**
   * Draws device i's port numbers into the label plane's canvas and places the plane on its front panel: each
   * number above a port in the upper half of the panel and below one in the lower half (as switches print them),
   * on the port itself when there is no room beside it. Returns the texts drawn.
   */
  _drawPortLabels(i) {
    const pd = this.portDetail;
    const model = this.deviceModels[i];
    const device = this.devices[i];
    if (!model?.ports.length) {
      pd.labels.visible = false;
      return [];
    }
    const w = this.deviceSizes[i * 3];
    const h = this.deviceSizes[i * 3 + 1];
    const d = this.deviceSizes[i * 3 + 2];
    const panelW = device.placement === 'rack' && !device.zeroU ? PANEL_WIDTH : w;
    const width = 2048;
    const height = Math.max(64, Math.min(2048, Math.round((width * h) / panelW)));
    const scale = width / panelW; // canvas pixels per metre
    const canvas = pd.canvas;
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d');
    g.clearRect(0, 0, width, height);
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    const texts = [];
    for (let k = 0; k < model.ports.length; k++) {
      const port = model.ports[k];
      const { pw, ph } = this._portFrame(this.portStart[i] + k);
      const cx = port.x * panelW;
      const cy = port.y * h; // from the bottom
      const above = port.y >= 0.5;
      const room = above ? h - (cy + ph / 2) : cy - ph / 2;
      const text = portShortLabel(port);
      let size = Math.min(room * 0.8, 0.007, (pw * 1.6) / Math.max(1, text.length * 0.62));
      let y = above ? cy + ph / 2 + room / 2 : cy - ph / 2 - room / 2;
      let onPort = false;
      if (size < 0.0025) {
        size = Math.min(ph * 0.7, (pw * 0.95) / Math.max(1, text.length * 0.62));
        y = cy;
        onPort = true;
      }
      g.font = `600 ${Math.max(8, Math.round(size * scale))}px system-ui, sans-serif`;
      if (onPort) {
        g.fillStyle = '#0b1017';
      } else {
        g.lineWidth = Math.max(2, size * scale * 0.18);
        g.strokeStyle = 'rgba(0,0,0,0.85)';
        g.strokeText(text, cx * scale, height - y * scale);
        g.fillStyle = '#e5edf5';
      }
      g.fillText(text, cx * scale, height - y * scale);
      texts.push(text);
    }
    pd.texture.needsUpdate = true;
    const m = new THREE.Matrix4().makeTranslation(0, 0, d / 2 + 0.0012).multiply(new THREE.Matrix4().makeScale(panelW, h, 1));
    pd.labels.matrix.copy(this.deviceMatrices[i]).multiply(m);
    return texts;
  }

  /** Port numbers only up close (they are unreadable farther away, and cost nothing hidden). */
  _updatePortDetail() {
    const pd = this.portDetail;
    if (!pd) return;
    let near = false;
    if (pd.device >= 0 && pd.texts.length) {
      pd.centre ??= new THREE.Vector3();
      pd.centre.setFromMatrixPosition(this.deviceMatrices[pd.device]);
      near = this.camera.position.distanceTo(pd.centre) <= PORT_LABEL_DISTANCE;
    }
    pd.near = near;
    pd.labels.visible = near;
  }

  /** Flies close to one port, so its number and outline can be read. */
  flyToPort(deviceId, index, ms = 900) {
    const i = this.deviceIndex.get(deviceId);
    const p = i === undefined ? -1 : this._portInstance(i, Number(index));
    if (p < 0) return false;
    const { centre, x, y, z } = this._portFrame(p);
    let distance = 0.75;
    const free = this._freeDistance(centre, z, distance + 0.5, this.deviceRack[i]);
    if (free < distance + 0.2) distance = Math.max(0.35, free - 0.2);
    const position = centre.clone().addScaledVector(z, distance).addScaledVector(y, 0.12).addScaledVector(x, 0.08);
    this.flyTo(position, centre.clone(), ms);
    return true;
  }

  /** What the port close-up shows (tests): the device, port, numbers and whether they show, outline and cable. */
  portDetailState() {
    const pd = this.portDetail;
    if (!pd) return null;
    return {
      deviceId: pd.device >= 0 ? this.devices[pd.device].id : null,
      port: pd.port,
      labels: [...pd.texts],
      labelsVisible: pd.labels.visible,
      outlineVisible: pd.outline.visible,
      peer: pd.peer ? { ...pd.peer } : null,
      linkVisible: pd.cable.visible,
      linkPoints: pd.path ? pd.path.map((v) => v.toArray()) : [],
    };
  }

  /** Screen position (CSS pixels relative to the page) of a world point, with whether it is in view. */
  screenOf(point) {
    const v = new THREE.Vector3(...point).project(this.camera);
    const rect = this.renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((v.x + 1) / 2) * rect.width, y: rect.top + ((1 - v.y) / 2) * rect.height, visible: v.z < 1 && Math.abs(v.x) <= 1 && Math.abs(v.y) <= 1 };
  }

  /** Screen position of a port's centre (tests compare the pixel colour there), or null. */
  portScreenPosition(deviceId, index) {
    const i = this.deviceIndex.get(deviceId);
    const p = i === undefined ? -1 : this._portInstance(i, Number(index));
    return p < 0 ? null : this.screenOf(this._portFrame(p).centre.toArray());
  }

  dispose() {
    this.renderer.setAnimationLoop(null);
    window.removeEventListener('resize', this._onResize);
    this.controls.dispose();
    this.renderer.dispose();
  }
}

// ---------- phone and wall screen (phonewall): touch gestures, a row overview, a slow automatic orbit ----------

/** Touch: one finger orbits, two fingers pinch-zoom and pan; the page itself neither scrolls nor zooms over the room. */
export function enableTouch(scene) {
  const controls = scene.controls;
  controls.touches = { ONE: THREE.TOUCH.ROTATE, TWO: THREE.TOUCH.DOLLY_PAN };
  controls.enableZoom = true;
  controls.enablePan = true;
  controls.zoomToCursor = true;
  scene.renderer.domElement.style.touchAction = 'none';
}

/** Flies to an overview of one row of racks: its whole length from the aisle its racks face, a little above. */
export function flyToRow(scene, rowId, ms = 1600) {
  const indices = [];
  scene.racks.forEach((rack, i) => {
    if (rack.row === rowId) indices.push(i);
  });
  if (indices.length === 0) return false;
  const box = new THREE.Box3();
  for (const i of indices) box.expandByPoint(new THREE.Vector3(scene.racks[i].x, 0, scene.racks[i].z));
  const centre = box.getCenter(new THREE.Vector3());
  const length = Math.max(box.max.x - box.min.x, box.max.z - box.min.z, 2);
  const height = Math.max(...indices.map((i) => scene.racks[i].heightU * U_METRES));
  const target = new THREE.Vector3(centre.x, height * 0.5, centre.z);
  const facing = new THREE.Vector3(0, 0, 1).transformDirection(scene.rackMatrices[indices[0]]);
  // from high up in front (about 60 degrees down): the row in front of this one does not stand in the way
  const position = target.clone().addScaledVector(facing, 2 + length * 0.3).add(new THREE.Vector3(0, 2.5 + length * 0.5, 0));
  scene.flyTo(position, target, ms);
  return true;
}

/** Keeps the view's centre in the part of the canvas above a bottom sheet this many pixels high (0: none). */
export function setBottomInset(scene, px) {
  scene.bottomInset = Math.max(0, px | 0);
  scene.resize();
}

/** A slow orbit around the current target (wall screens); `on` false stops it. */
export function setAutoRotate(scene, on, speed = 0.5) {
  scene.controls.autoRotate = Boolean(on);
  scene.controls.autoRotateSpeed = speed;
  scene.dirty = true;
}
