// Bundles each function under functions/<name>/index.ts into dist/<name>/index.mjs (one file, no node_modules).
import { build } from 'esbuild';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const functionsDir = join(root, 'functions');
const names = readdirSync(functionsDir).filter((n) => existsSync(join(functionsDir, n, 'index.ts')));
rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const name of names) {
  await build({
    entryPoints: [join(functionsDir, name, 'index.ts')],
    outfile: join(root, 'dist', name, 'index.mjs'),
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
  });
  console.log(`built dist/${name}/index.mjs`);
}
