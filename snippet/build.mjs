// Builds the file sites ship and the harness injects: esbuild bundles src/index.js (ES modules, and the marker list
// harness/resources/markers.json) into one IIFE with one global, then terser minifies it with terser.json.
//
//   node build.mjs [output]     (npm run build; output: ../harness/resources/telltale.min.js)
//
// The tools are pinned exactly (package.json, package-lock.json); tests/test_snippet_build.py rebuilds with them and
// fails when the committed file is not what this makes of the current source.
import {readFileSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
import {minify} from 'terser';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const output = process.argv[2] || here('../harness/resources/telltale.min.js');

const bundle = await build({
  entryPoints: [here('src/index.js')],
  bundle: true,
  format: 'iife',
  target: 'es5', // the syntax the snippet has always shipped: a newer construct in src/ fails the build
  write: false,
  logLevel: 'silent',
});
if (bundle.warnings.length) {
  console.error(bundle.warnings.map((w) => `${w.location ? w.location.file + ':' + w.location.line + ': ' : ''}${w.text}`).join('\n'));
  process.exit(1);
}
const minified = await minify(bundle.outputFiles[0].text, JSON.parse(readFileSync(here('terser.json'), 'utf8')));
writeFileSync(output, minified.code);
