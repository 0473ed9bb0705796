/**
 * `npm run bench -- coldstart [--baseline <rev>] [--samples N] [--keep]`: what each function bundle costs before
 * it does any work. Builds this tree and a baseline commit (default 16a16e1, the main branch before the cold-start
 * work, issue 12) in the same run, then measures each bundle in fresh `node` processes, alternating the two builds:
 *
 * - import: `await import(index.mjs)` with plain `node` (what the issue measured: 300-500 ms). Target: at most
 *   40% of the baseline's time, per function.
 * - import, --enable-source-maps: the same with the NODE_OPTIONS s.yaml deploys (Node then reads the source map).
 * - all code: the entry and then every lazily loaded chunk, i.e. the most a path can load (informational: it shows
 *   what lazy loading moved to first use rather than removed).
 *
 * Sizes are the .mjs files (entry, and entry plus chunks). The baseline is built in a temporary `git worktree`,
 * with this checkout's node_modules when the lockfiles are the same, else with its own `npm ci`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildFunctions } from '../scripts/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    baseline: { type: 'string', default: '16a16e1' },
    samples: { type: 'string', default: '9' },
    keep: { type: 'boolean', default: false },
  },
});
const samples = Number(values.samples);
if (!Number.isInteger(samples) || samples < 1) throw new Error('--samples must be a positive integer');
const TARGET = 0.4;

const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const loads = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** The .mjs files of one built function: the entry first, then its chunks. */
function bundleFiles(dir: string): string[] {
  const chunks = join(dir, 'chunks');
  const lazy = existsSync(chunks)
    ? readdirSync(chunks)
        .filter((f) => f.endsWith('.mjs'))
        .sort()
        .map((f) => join(chunks, f))
    : [];
  return [join(dir, 'index.mjs'), ...lazy];
}

type Mode = 'import' | 'sourcemaps' | 'all';

/** One fresh node process: milliseconds from before `import()` until the module (and, for `all`, every chunk) loaded. */
function measureOnce(files: string[], mode: Mode): number {
  const targets = mode === 'all' ? files : files.slice(0, 1);
  const script =
    `const t = performance.now(); for (const f of ${JSON.stringify(targets)}) await import(f); ` +
    `process.stdout.write(String(performance.now() - t));`;
  const args = [...(mode === 'sourcemaps' ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script];
  // A bare env, as in FC: no NODE_OPTIONS from the caller's shell.
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (run.status !== 0) throw new Error(`importing ${targets[0]} failed:\n${run.stderr}`);
  return Number(run.stdout);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const size = (files: string[]) => files.reduce((sum, f) => sum + statSync(f).size, 0);

/** Builds `rev` in a temporary worktree with its own build script; returns its dist/ and a clean-up. */
function buildBaseline(rev: string, work: string): { dist: string; remove: () => void } {
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  const dir = join(work, 'baseline');
  git('worktree', 'add', '--detach', '--quiet', dir, commit);
  const remove = () => {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: root });
  };
  try {
    const sameLock =
      readFileSync(join(dir, 'package-lock.json'), 'utf8') === readFileSync(join(root, 'package-lock.json'), 'utf8');
    if (sameLock) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    else {
      console.log(`baseline ${commit.slice(0, 7)} has another package-lock.json: npm ci in its worktree`);
      execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
    }
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    return { dist: join(dir, 'dist'), remove };
  } catch (err) {
    remove();
    throw err;
  }
}

const work = mkdtempSync(join(tmpdir(), 'nma-coldstart-'));
let baseline: { dist: string; remove: () => void } | undefined;
try {
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  console.log(
    `coldstart: ${cpus().length} CPUs, node ${process.version}, load average at start ${loads()}; ` +
      `${samples} samples per figure (median), one fresh node process each`,
  );
  const current = join(work, 'current');
  await buildFunctions({ outdir: current, quiet: true });
  baseline = buildBaseline(values.baseline!, work);
  console.log(`current: ${head}${dirty ? ' + uncommitted changes' : ''}; baseline: ${values.baseline}\n`);

  const names = readdirSync(current).filter((n) => existsSync(join(baseline!.dist, n, 'index.mjs')));
  const modes: Mode[] = ['import', 'sourcemaps', 'all'];
  const times: Record<string, number[]> = {};
  for (let i = 0; i < samples; i++) {
    for (const name of names) {
      // Alternate which build goes first, so a change in the machine's load hits both alike.
      const sides = i % 2 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
      for (const mode of modes)
        for (const side of sides) {
          const dir = join(side === 'current' ? current : baseline.dist, name);
          (times[`${name}/${side}/${mode}`] ??= []).push(measureOnce(bundleFiles(dir), mode));
        }
    }
  }

  let allPass = true;
  const rows = names.map((name) => {
    const m = (side: string, mode: Mode) => median(times[`${name}/${side}/${mode}`]);
    const cur = bundleFiles(join(current, name));
    const base = bundleFiles(join(baseline!.dist, name));
    const ratio = m('current', 'import') / m('baseline', 'import');
    const ratioMaps = m('current', 'sourcemaps') / m('baseline', 'sourcemaps');
    const ok = ratio <= TARGET && ratioMaps <= TARGET;
    allPass &&= ok;
    return [
      name,
      `${kb(size(base))} -> ${kb(size(cur.slice(0, 1)))} (${kb(size(cur))} with ${cur.length - 1} chunks)`,
      `${ms(m('baseline', 'import'))} -> ${ms(m('current', 'import'))} = ${ratio.toFixed(2)}x`,
      `${ms(m('baseline', 'sourcemaps'))} -> ${ms(m('current', 'sourcemaps'))} = ${ratioMaps.toFixed(2)}x`,
      `${ms(m('baseline', 'all'))} -> ${ms(m('current', 'all'))} = ${(m('current', 'all') / m('baseline', 'all')).toFixed(2)}x`,
      ok ? 'PASS' : 'FAIL',
    ];
  });
  const header = [
    'function',
    'size: baseline -> entry (all code)',
    'import',
    'import, --enable-source-maps',
    'all code loaded',
    `<= ${TARGET}x`,
  ];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  for (const r of [header, ...rows]) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join(' | '));
  console.log(`\nload average at end: ${loads()}`);
  console.log(`overall: ${allPass ? 'PASS' : 'FAIL'} (target: each import at most ${TARGET * 100}% of the baseline's)`);
  if (values.keep) console.log(`builds kept in ${work} (then: git worktree remove --force ${join(work, 'baseline')})`);
  process.exitCode = allPass ? 0 : 1;
} finally {
  if (!values.keep) {
    baseline?.remove();
    rmSync(work, { recursive: true, force: true });
  }
}
