// The alarm sound: one <audio> element per severity, each looping a short WAV made here (no sound files to ship):
// critical a fast two-tone siren, major a double beep, minor one soft beep, warning a low single tone, each followed by
// the silence that sets how often it repeats. An <audio> element (not Web Audio) so the browser reports what it
// really did: `playing` events and HTMLMediaElement.played ranges.
//
// Arming: the operator arms the sound once (a click); that is remembered in localStorage across reloads and sign-ins.
// Browsers still allow sound only after a gesture on each page load, so while the sound is armed but not yet unlocked
// on this page, a large "click anywhere to arm the alarm sound" overlay covers the console; the first click anywhere
// plays (a silent clip, inside the gesture) and unlocks it.

const SOUND_KEY = 'monitoring.sound';
const RATE = 16000;

// Each severity's pattern: tones (Hz), each beep's length (s), the gap between beeps, the pattern's period (s), and the wave.
export const SOUNDS = {
  critical: { tones: [988, 740, 988, 740], beep: 0.16, gap: 0.04, every: 1.2, wave: 'square' },
  major: { tones: [784, 784], beep: 0.2, gap: 0.12, every: 2.5, wave: 'square' },
  minor: { tones: [587], beep: 0.3, gap: 0, every: 5, wave: 'triangle' },
  warning: { tones: [440], beep: 0.25, gap: 0, every: 10, wave: 'sine' },
};

const waves = {
  sine: (p) => Math.sin(2 * Math.PI * p),
  square: (p) => (p % 1 < 0.5 ? 0.6 : -0.6),
  triangle: (p) => 4 * Math.abs((p % 1) - 0.5) - 1,
};

/** A mono 16-bit PCM WAV of one pattern followed by silence up to its period, as a blob: URL. */
export function patternUrl(sound) {
  const total = Math.round(sound.every * RATE);
  const pcm = new Int16Array(total);
  let at = 0;
  for (const tone of sound.tones) {
    const length = Math.round(sound.beep * RATE);
    const fade = Math.round(0.01 * RATE);
    for (let i = 0; i < length && at + i < total; i++) {
      const envelope = Math.min(1, i / fade, (length - i) / fade);
      pcm[at + i] = Math.round(waves[sound.wave]((tone * i) / RATE) * envelope * 0.35 * 32767);
    }
    at += Math.round((sound.beep + sound.gap) * RATE);
  }
  return URL.createObjectURL(wav(pcm));
}

function wav(pcm) {
  const buffer = new ArrayBuffer(44 + pcm.byteLength);
  const view = new DataView(buffer);
  const text = (offset, s) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + pcm.byteLength, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, RATE, true);
  view.setUint32(28, RATE * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, pcm.byteLength, true);
  new Int16Array(buffer, 44).set(pcm);
  return new Blob([buffer], { type: 'audio/wav' });
}

export function isArmed() {
  try {
    return localStorage.getItem(SOUND_KEY) === 'on';
  } catch {
    return false;
  }
}

export function setArmed(on) {
  try {
    if (on) localStorage.setItem(SOUND_KEY, 'on');
    else localStorage.removeItem(SOUND_KEY);
  } catch {
    // storage disabled: armed for this page only
  }
}

/**
 * The player: play(severity|null) switches the looping sound; unlock() must run inside a user gesture.
 * onChange() is called when the unlocked state changes.
 */
export function createPlayer(onChange) {
  const player = {
    unlocked: false,
    severity: null,
    playingEvents: 0, // `playing` events of the alarm sounds (the browser really started them)
    elements: new Map(),
  };
  const silence = new Audio(patternUrl({ tones: [], beep: 0, gap: 0, every: 0.05, wave: 'sine' }));
  silence.preload = 'auto';

  function element(severity) {
    let audio = player.elements.get(severity);
    if (!audio) {
      audio = new Audio(patternUrl(SOUNDS[severity]));
      audio.loop = true;
      audio.preload = 'auto';
      audio.dataset.severity = severity;
      audio.addEventListener('playing', () => player.playingEvents++);
      player.elements.set(severity, audio);
    }
    return audio;
  }

  player.unlock = async () => {
    try {
      await silence.play();
      player.unlocked = true;
    } catch (error) {
      console.warn('audio', error);
      player.unlocked = false;
    }
    onChange();
    player.play(player.wanted ?? null);
  };

  /** Plays the severity's sound on a loop (null: silence). Before unlock() only remembers what is wanted. */
  player.play = (severity) => {
    player.wanted = severity;
    const next = player.unlocked && severity && SOUNDS[severity] ? severity : null;
    if (next === player.severity) return;
    if (player.severity) {
      const old = element(player.severity);
      old.pause();
      old.currentTime = 0;
    }
    player.severity = next;
    if (next) {
      element(next).play().catch((error) => {
        console.warn('audio', error);
        // the browser refused (no gesture after all): show the arming overlay again
        player.unlocked = false;
        player.severity = null;
        onChange();
      });
    }
  };

  /** Seconds the current sound has played (HTMLMediaElement.played), 0 when silent. */
  player.playedSeconds = () => {
    if (!player.severity) return 0;
    const ranges = element(player.severity).played;
    let sum = 0;
    for (let i = 0; i < ranges.length; i++) sum += ranges.end(i) - ranges.start(i);
    return sum;
  };
  return player;
}
