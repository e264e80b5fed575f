// branch "sessions" (issue 21): the TRAINING frame. On a training session's host every page (console, field page)
// gets a coloured border around the whole window and a banner "培训 TRAINING — <session name>", so that nobody takes
// the session for the live room. The live host shows nothing.
import { loadTrainingContext } from './training-context.js';

/** Draws the frame when this host is a training session; answers the session (or null). */
export async function showTrainingFrame() {
  const session = await loadTrainingContext();
  if (!session || document.getElementById('training-banner')) return session;
  document.body.classList.add('training-session');
  const frame = document.createElement('div');
  frame.id = 'training-frame';
  frame.setAttribute('aria-hidden', 'true');
  const banner = document.createElement('div');
  banner.id = 'training-banner';
  banner.setAttribute('role', 'status');
  const name = session.name ? ` — ${session.name}` : '';
  banner.textContent = `培训 TRAINING${name}`;
  banner.title = '培训会话：告警、工单与现网无关 / Training session: its alarms and tickets are not the live room\'s';
  document.body.append(frame, banner);
  document.title = `培训 TRAINING · ${document.title}`;
  return session;
}
