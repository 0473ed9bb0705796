// Why: the format check, eslint and tsc share no state, so `npm test` runs them side by side (about half the wall
// time of running them one after another on 2 cores) and stays quiet: a check's output is shown only when it fails.
import { spawn } from 'node:child_process';

const checks = [
  ['format', 'npm', ['run', '-s', 'format:check']],
  ['lint', 'npm', ['run', '-s', 'lint']],
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
];

function run([name, command, args]) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => resolve({ name, code: 1, output: String(error) }));
    child.on('close', (code) => resolve({ name, code, output: Buffer.concat(output).toString('utf8') }));
  });
}

const results = await Promise.all(checks.map(run));
const failed = results.filter((r) => r.code !== 0);
for (const r of failed) {
  process.stderr.write(`\n${r.name} failed (npm run ${r.name === 'format' ? 'format:check' : r.name}):\n${r.output}\n`);
  if (r.name === 'format') process.stderr.write('Run `npm run format` to fix the formatting.\n');
}
process.exit(failed.length > 0 ? 1 : 0);
