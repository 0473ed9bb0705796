// Bundles each function under functions/<name>/index.ts into dist/<name>/index.mjs (one file, no node_modules).
//   node scripts/build.mjs [--out-dir DIR] [function ...]   (a test builds one function into a temp dir)
import { build } from 'esbuild';
import { readdirSync, existsSync, rmSync, readFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const functionsDir = join(root, 'functions');
const args = process.argv.slice(2);
const at = args.indexOf('--out-dir');
const outDir = at >= 0 ? args.splice(at, 2)[1] : join(root, 'dist');
const names = readdirSync(functionsDir).filter(
  (n) => existsSync(join(functionsDir, n, 'index.ts')) && (args.length === 0 || args.includes(n)),
);
rmSync(outDir, { recursive: true, force: true });
for (const name of names) {
  await build({
    entryPoints: [join(functionsDir, name, 'index.ts')],
    outfile: join(outDir, name, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: false,
    sourcemap: 'linked',
    legalComments: 'none',
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    // urllib (under ali-oss) requires proxy-agent only when an HTTP proxy is configured; FC has none.
    external: ['proxy-agent'],
  });
  // Data files a function reads at run time (e.g. reconcile-listeners' config/listeners.yaml), listed as
  // project-relative paths in functions/<name>/bundle-files.json and copied to the same path under dist/<name>/.
  const extras = join(functionsDir, name, 'bundle-files.json');
  if (existsSync(extras)) {
    for (const file of JSON.parse(readFileSync(extras, 'utf8'))) cpSync(join(root, file), join(outDir, name, file));
  }
  if (at < 0) console.log(`built dist/${name}/index.mjs`);
}
