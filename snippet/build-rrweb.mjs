// Builds rrweb's own code, from the pinned npm package (package.json, package-lock.json), with esbuild:
//
//   node build-rrweb.mjs replayer [output]   the vendor replay page's replayer, shipped in the harness
//                                            (npm run build; output: ../harness/resources/rrweb-replay.min.js)
//   node build-rrweb.mjs recorder output     a small rrweb-record tracker for tests (built at test time, never committed)
//
// tests/test_rrweb_build.py rebuilds the replayer and fails when the shipped file is not what this makes of it.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const [kind, given] = process.argv.slice(2);
const entries = {replayer: 'rrweb/replay.js', recorder: 'rrweb/recorder.js'};
if (!entries[kind] || (kind === 'recorder' && !given)) {
  console.error('usage: node build-rrweb.mjs replayer [output] | recorder output');
  process.exit(2);
}
const output = given || here('../harness/resources/rrweb-replay.min.js');
const version = JSON.parse(readFileSync(here('node_modules/rrweb/package.json'), 'utf8')).version;
const license = `/*! rrweb ${version} (https://github.com/rrweb-io/rrweb), bundled by Telltale's snippet/build-rrweb.mjs.
 * MIT License. Copyright (c) 2018 Contributors (https://github.com/rrweb-io/rrweb/graphs/contributors) and SmartX Inc.
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
 * documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
 * rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
 * permit persons to whom the Software is furnished to do so, subject to the following conditions: The above copyright
 * notice and this permission notice shall be included in all copies or substantial portions of the Software.
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
 * WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS
 * OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 * OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */`;

const result = await build({
  entryPoints: [here(entries[kind])],
  bundle: true,
  format: 'iife',
  target: 'es2020',
  minify: true,
  legalComments: 'none', // rrweb's license is the banner, once
  banner: {js: license},
  define: {REPLAYER_VERSION: JSON.stringify(version)},
  outfile: output,
  logLevel: 'silent',
});
if (result.warnings.length) {
  console.error(result.warnings.map((w) => `${w.location ? w.location.file + ':' + w.location.line + ': ' : ''}${w.text}`).join('\n'));
  process.exit(1);
}
