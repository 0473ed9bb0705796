// Bundles each function under functions/<name>/index.ts into dist/<name>/ (no node_modules at run time): the
// entry dist/<name>/index.mjs holds what every invocation needs, and what only some paths need (the OSS client,
// the OpenAPI client, @peculiar/x509, PKCS#12 and zip building) is in dist/<name>/chunks/, loaded on first use
// by the `import()` in the source. Cold-start figures: `npm run bench -- coldstart` (README, Benchmarks).
//   node scripts/build.mjs [--out-dir DIR] [--analyze] [function ...]
// --analyze prints, per function, what each package adds to the bundle (esbuild analyzeMetafile).
import { analyzeMetafile, build } from 'esbuild';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCuts } from './bundle-cuts.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(root, 'functions');

/** The deployed functions: every functions/<name>/ with an index.ts. */
export function functionNames() {
  return readdirSync(functionsDir).filter((n) => existsSync(join(functionsDir, n, 'index.ts')));
}

/** The esbuild options of one function's bundle (also used by the coldstart benchmark and the bundle test). */
export function functionBuildOptions(name, outdir) {
  return {
    entryPoints: { index: join(functionsDir, name, 'index.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    // Lazily imported code goes to chunks/, loaded only when a path needs it.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Less to read at cold start. Identifiers are not minified: dependencies compare constructor names
    // (@peculiar/asn1-schema's "Sequence", is-type-of's "AsyncFunction"), and keepNames would cost a call per
    // function at load; stack traces keep readable names too.
    minifyWhitespace: true,
    minifySyntax: true,
    // Source maps without the sources' text: s.yaml runs with --enable-source-maps, which reads the map at load.
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // CommonJS dependencies call require(); give each ESM output file one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    // urllib (under ali-oss) requires proxy-agent only when an HTTP proxy is configured; FC has none.
    external: ['proxy-agent'],
    // Modules the bundles never use at run time, replaced (each cut and its proof: scripts/bundle-cuts.mjs).
    plugins: [bundleCuts()],
    metafile: true,
  };
}

/**
 * Builds the named functions into `outdir/<name>/`. Returns, per function, the output directory, its files and
 * the esbuild metafile (inputs per output file).
 */
export async function buildFunctions({ outdir = join(root, 'dist'), only = functionNames(), quiet = false } = {}) {
  const results = [];
  for (const name of only) {
    const dir = join(outdir, name);
    rmSync(dir, { recursive: true, force: true });
    const { metafile } = await build(functionBuildOptions(name, dir));
    // Data files a function reads at run time (e.g. reconcile-listeners' config/listeners.yaml), listed as
    // project-relative paths in functions/<name>/bundle-files.json and copied to the same path under dist/<name>/.
    const extras = join(functionsDir, name, 'bundle-files.json');
    if (existsSync(extras)) {
      for (const file of JSON.parse(readFileSync(extras, 'utf8'))) cpSync(join(root, file), join(dir, file));
    }
    const files = Object.keys(metafile.outputs)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => resolve(root, f));
    results.push({ name, dir, entry: join(dir, 'index.mjs'), files, metafile });
    if (!quiet) console.log(`built ${relative(process.cwd(), join(dir, 'index.mjs'))} (+${files.length - 1} chunks)`);
  }
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { 'out-dir': { type: 'string' }, analyze: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const outdir = values['out-dir'] ? resolve(values['out-dir']) : join(root, 'dist');
  // The default dist/ is rebuilt from nothing (`npm run build` then adds dist/cli); another --out-dir keeps the rest.
  if (!values['out-dir']) rmSync(outdir, { recursive: true, force: true });
  const results = await buildFunctions({
    outdir,
    only: positionals.length > 0 ? positionals : functionNames(),
    quiet: Boolean(values['out-dir']) && !values.analyze,
  });
  if (values.analyze) {
    for (const { name, metafile } of results) console.log(`\n${name}:${await analyzeMetafile(metafile)}`);
  }
}
