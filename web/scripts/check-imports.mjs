// Checks the console's modules (wwwroot/js): every relative import names a file that exists, no module imports
// itself through others (no circular imports, static or dynamic), and no page publishes a `window.__*` test hook
// except through testhooks.js's expose() (hooks exist only with the test flag). Runs before every build
// (npm run build); exits 1 with the problems listed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'wwwroot', 'js');
// perf.js and heatperf.js are the scene and heat map benchmarks' pages: window.__perf / __heatperf are their results, read by tests/Monitoring.Benchmarks, not a test hook
const HOOK_EXEMPT = new Set(['testhooks.js', 'perf.js', 'heatperf.js']);

const files = readdirSync(root).filter((f) => f.endsWith('.js'));
const problems = [];
const edges = new Map();

for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const targets = new Set();
  const patterns = [/\bimport\s+[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\bexport\s+[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const spec = match[1];
      if (!spec.startsWith('.')) continue; // a library from the import map (three, echarts, signalr)
      const target = relative(root, resolve(root, spec));
      if (!existsSync(join(root, target))) problems.push(`${file}: imports ${spec}, which does not exist`);
      else targets.add(target);
    }
  }
  edges.set(file, targets);
  if (!HOOK_EXEMPT.has(file) && /\bwindow\.__\w+\s*=(?!=)/.test(text)) {
    problems.push(`${file}: assigns a window.__* test hook directly; publish it with expose() from testhooks.js`);
  }
}

// depth-first search for a cycle; report each one once, as the path that closes it
const state = new Map(); // file -> 'visiting' | 'done'
const stack = [];
function visit(file) {
  state.set(file, 'visiting');
  stack.push(file);
  for (const next of edges.get(file) ?? []) {
    if (state.get(next) === 'visiting') problems.push(`circular import: ${[...stack.slice(stack.indexOf(next)), next].join(' -> ')}`);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s) in web/wwwroot/js:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules, no circular import, test hooks behind the test flag`);
