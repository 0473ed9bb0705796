// Bundles the nlb-mtls CLI (cli/bin.ts) into one file, dist/cli/nlb-mtls.mjs, that runs with plain `node` and no
// node_modules, so a device can take just that file. Kept apart from build.mjs (the functions' bundles).
//   node scripts/build-cli.mjs [--outfile path]
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const at = process.argv.indexOf('--outfile');
const outfile = at > 0 ? process.argv[at + 1] : join(root, 'dist', 'cli', 'nlb-mtls.mjs');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

await build({
  entryPoints: [join(root, 'cli', 'bin.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: false,
  legalComments: 'none',
  define: { __NLB_MTLS_VERSION__: JSON.stringify(version) },
  // A shebang so `./nlb-mtls.mjs` runs, and a require() for the CommonJS dependencies inside the ESM bundle.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
});
if (at < 0) console.log('built dist/cli/nlb-mtls.mjs');
