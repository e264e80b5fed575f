// Copies the files the console needs from node_modules into wwwroot/lib (the job libman would do).
// No bundler: the app loads these as plain ES modules through the import map in index.html.
// Run with `npm run build` after `npm ci`. wwwroot/lib is generated and git-ignored.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(web, 'node_modules');
const lib = join(web, 'wwwroot', 'lib');

/** [from (under node_modules), to (under wwwroot/lib)] */
const files = [
  ['three/build/three.module.js', 'three/build/three.module.js'],
  ['three/build/three.core.js', 'three/build/three.core.js'],
  ['three/examples/jsm/controls/OrbitControls.js', 'three/examples/jsm/controls/OrbitControls.js'],
  ['three/examples/jsm/renderers/CSS2DRenderer.js', 'three/examples/jsm/renderers/CSS2DRenderer.js'],
  ['three/LICENSE', 'three/LICENSE'],
  ['@microsoft/signalr/dist/browser/signalr.min.js', 'signalr/signalr.min.js'],
  ['@microsoft/signalr/LICENSE', 'signalr/LICENSE'],
  // .js, not .mjs: every static file server knows the JavaScript MIME type of .js.
  ['echarts/dist/echarts.esm.min.mjs', 'echarts/echarts.esm.min.js'],
  ['echarts/LICENSE', 'echarts/LICENSE'],
];

if (!existsSync(modules)) {
  console.error('web/node_modules is missing: run `npm ci` in web/ first.');
  process.exit(1);
}

rmSync(lib, { recursive: true, force: true });
let copied = 0;
for (const [from, to] of files) {
  const source = join(modules, from);
  const target = join(lib, to);
  if (!existsSync(source)) {
    // LICENSE files are nice to have; code files are required.
    if (from.endsWith('LICENSE')) continue;
    console.error(`missing ${source}: is the package version in package.json installed?`);
    process.exit(1);
  }
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target);
  copied++;
}
console.log(`copied ${copied} files into ${lib}`);
