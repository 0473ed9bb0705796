/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts. Benchmarks print their figures and compare them with
 * the named baseline in the same run; none of them run in `npm test`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = new URL('.', import.meta.url).pathname;
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || !existsSync(join(dir, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(pathToFileURL(join(dir, `${name}.ts`)).href);
