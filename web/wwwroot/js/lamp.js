// The alarm lamp in the 3D room shows what the real lamp shows (branch "language"): its red / yellow / green / buzzer
// coils as last read back from the device, from /api/devices/{id} `lamp`, never a status of its own. The room's first
// load carries each lamp's coils (/api/rooms/{id} `lamp`); this module then reads them again every few seconds while
// the page is visible (the lamp driver writes the coils and the Modbus collector reads them back on its poll).

const INTERVAL_MS = 2000;

/**
 * Keeps every lamp of the room painted from its coils. `room` is /api/rooms/{id}; `scene` has setLampState();
 * `getJson(url)` fetches. Answers { refresh(): Promise, stop() }.
 */
export function watchLamps({ room, scene, getJson }) {
  const lamps = room.devices.filter((d) => d.kind === 'lamp').map((d) => d.id);
  let timer = null;
  let stopped = false;

  async function refresh() {
    for (const id of lamps) {
      try {
        const detail = await getJson(`/api/devices/${encodeURIComponent(id)}`);
        if (detail?.lamp) scene.setLampState(id, detail.lamp);
      } catch (error) {
        console.warn('lamp', id, error);
      }
    }
  }

  function schedule() {
    if (stopped || lamps.length === 0) return;
    timer = setTimeout(async () => {
      if (document.visibilityState !== 'hidden') await refresh();
      schedule();
    }, INTERVAL_MS);
  }

  schedule();
  return {
    refresh,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
