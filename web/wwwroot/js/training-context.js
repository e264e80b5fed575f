// Whether this console is bound to the live room or to a training session: GET /api/training/context, read once.
// Every training part of the console (the TRAINING frame, drill controls, quizzes, the board, replay) asks here.
import { api } from './session.js';

let pending = null;

/** The session this host plays ({ id, name, roomId, kind, drillId, instructor, trainees, ... }), or null for the live room. */
export function loadTrainingContext() {
  pending ??= api('/api/training/context')
    .then((answer) => answer?.session ?? null)
    .catch(() => null);
  return pending;
}

/** True when the console shows a training session, not the live room. */
export async function inTrainingSession() {
  return (await loadTrainingContext()) !== null;
}
