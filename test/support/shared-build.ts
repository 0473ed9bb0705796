// Why: three test files need the function bundles as `npm run build` makes them (the bundles' own test, the bundle
// cuts' metafile, the console served from the built cert-api). esbuild over every function costs about a second of
// CPU per function; one build per Jest run, in the run's directory (test/support/global-setup.mjs), is enough.
// The first file to ask builds (it takes the lock by creating a directory, which only one process can do); the
// others wait for its result file. The bundles are read-only for everyone: FC's code directory is read-only too.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildFunctions, type BuiltFunction } from '../../scripts/build.mjs';

const WAIT_LIMIT_MS = 120_000;
const POLL_MS = 50;

let built: Promise<BuiltFunction[]> | undefined;

/** Every function built as `npm run build` builds it, once per Jest run. */
export function sharedFunctionBuild(): Promise<BuiltFunction[]> {
  return (built ??= buildOnce());
}

async function buildOnce(): Promise<BuiltFunction[]> {
  const runDir = process.env.NMA_TEST_RUN_DIR;
  if (!runDir) throw new Error('NMA_TEST_RUN_DIR is not set: jest.config.js must name test/support/global-setup.mjs');
  const dir = join(runDir, 'functions');
  const result = join(dir, 'result.json');
  const failure = join(dir, 'failure.txt');
  mkdirSync(runDir, { recursive: true });
  if (takeLock(dir)) {
    try {
      const functions = await buildFunctions({ outdir: join(dir, 'dist'), quiet: true });
      // Written whole, then renamed: a waiting process never reads half a file.
      writeFileSync(`${result}.part`, JSON.stringify(functions));
      renameSync(`${result}.part`, result);
      return functions;
    } catch (err) {
      writeFileSync(failure, err instanceof Error ? (err.stack ?? err.message) : String(err));
      throw err;
    }
  }
  // A wait for another process's build, not a stand-in for a clock: nothing here depends on how long it takes.
  for (let waited = 0; waited < WAIT_LIMIT_MS; waited += POLL_MS) {
    if (existsSync(result)) return JSON.parse(readFileSync(result, 'utf8')) as BuiltFunction[];
    if (existsSync(failure)) throw new Error(`the shared function build failed:\n${readFileSync(failure, 'utf8')}`);
    await sleep(POLL_MS);
  }
  throw new Error(`the shared function build did not finish within ${WAIT_LIMIT_MS / 1000} s`);
}

function takeLock(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
