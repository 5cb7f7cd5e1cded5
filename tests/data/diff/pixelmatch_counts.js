// Expected values for tests/test_diff.py, straight from pixelmatch 7.2.0.
//
//   npm install --prefix /tmp/pm pixelmatch@7.2.0 pngjs@7   # never inside the repo
//   node tests/data/diff/pixelmatch_counts.js /tmp/pm/node_modules
//
// Runs pixelmatch on every NAME.a.png / NAME.b.png pair beside this script under each option
// set in OPTIONS, prints the OPTIONS and EXPECTED tables to paste into tests/test_diff.py, and
// rewrites the reference diff images (NAME.diff-VARIANT.png) listed in IMAGES.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath, pathToFileURL} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.argv[2];
if (!modules) {
    console.error('usage: node pixelmatch_counts.js NODE_MODULES_DIR');
    process.exit(2);
}
const resolve = createRequire(path.join(path.resolve(modules), 'x.js')).resolve;
const load = async name => import(pathToFileURL(resolve(name)).href);
const {default: pixelmatch} = await load('pixelmatch');
const {PNG} = await load('pngjs');

const version = JSON.parse(fs.readFileSync(
    path.join(path.dirname(resolve('pixelmatch')), 'package.json'), 'utf8')).version;
if (version !== '7.2.0') throw new Error(`Expecting pixelmatch 7.2.0. Got ${version}`);

// [threshold, includeAA, checkerboard]
const OPTIONS = [];
for (const threshold of [0, 0.05, 0.1, 0.3]) {
    for (const includeAA of [false, true]) OPTIONS.push([threshold, includeAA, true]);
}
OPTIONS.push([0.1, false, false], [0.05, true, false]);

// Reference diff images: [pair, variant, options]; the test maps options to diff_images keywords.
const IMAGES = [
    ['tiny', 'default', {}],
    ['tiny', 'styled', {threshold: 0.05, alpha: 0.5, aaColor: [0, 192, 0],
        diffColor: [255, 0, 255], diffColorAlt: [0, 128, 255]}],
    ['tiny', 'mask', {diffMask: true}],
    ['tiny', 'include-aa', {includeAA: true, alpha: 1}],
    ['tiny', 'white', {checkerboard: false, alpha: 0}],
    ['tiny', 'identical', {alpha: 0.3}],
    ['alpha', 'default', {}],
];

const read = file => PNG.sync.read(fs.readFileSync(path.join(here, file)));
const pairs = fs.readdirSync(here).filter(f => f.endsWith('.a.png')).map(f => f.slice(0, -6)).sort();

const fmt = x => (x === true ? 'True' : x === false ? 'False' : Number.isInteger(x) ? `${x}.0` : `${x}`);
const lines = [
    '# (threshold, include_aa, checkerboard)',
    'OPTIONS: list[tuple[float, bool, bool]] = [',
    ...OPTIONS.map(o => `    (${o.map(fmt).join(', ')}),`),
    ']',
    '',
    '# pair -> mismatch count under each of OPTIONS, in order',
    'EXPECTED: dict[str, tuple[int, ...]] = {',
];
for (const name of pairs) {
    const a = read(`${name}.a.png`);
    const b = read(`${name}.b.png`);
    const counts = OPTIONS.map(([threshold, includeAA, checkerboard]) =>
        pixelmatch(a.data, b.data, null, a.width, a.height, {threshold, includeAA, checkerboard}));
    lines.push(`    ${JSON.stringify(name)}: (${counts.join(', ')}),`);
}
lines.push('}');
console.log(lines.join('\n'));

for (const [name, variant, options] of IMAGES) {
    const a = read(`${name}.a.png`);
    const b = variant === 'identical' ? a : read(`${name}.b.png`);
    const out = new PNG({width: a.width, height: a.height});
    pixelmatch(a.data, b.data, out.data, a.width, a.height, options);
    fs.writeFileSync(path.join(here, `${name}.diff-${variant}.png`), PNG.sync.write(out));
}
