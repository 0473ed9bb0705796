// One Function Compute "instance" of a built bundle, for tests (test/helpers/fc-bundle-instance.ts starts it):
//   node test/support/fc-instance.mjs <dist>/<function>/index.mjs
// As FC's Node.js runtime does it: the function's env is this process's env (NODE_OPTIONS included), the working
// directory is the code directory, the module is imported once and its exported `handler` is called with a Buffer
// event and a context for each invocation. Invocations arrive on stdin as JSON lines; each answer goes to fd 3, so
// stdout and stderr carry only the function's own output (the test keeps them for its failure report).
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const answers = createWriteStream(null, { fd: 3 });
const answer = (message) => answers.write(`${JSON.stringify(message)}\n`);

const started = performance.now();
let mod;
try {
  mod = await import(pathToFileURL(process.argv[2]).href);
} catch (err) {
  answer({ id: 'ready', ok: false, error: { name: err.name, message: err.message, stack: err.stack } });
  process.exit(1);
}
answer({ id: 'ready', ok: true, importMs: performance.now() - started, exports: Object.keys(mod).sort() });

for await (const line of createInterface({ input: process.stdin })) {
  const { id, event, context } = JSON.parse(line);
  const log =
    (level) =>
    (...args) =>
      process.stderr.write(`${new Date().toISOString()} ${context.requestId} [${level}] ${format(...args)}\n`);
  const logger = { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR'), log: log('INFO') };
  try {
    const result = await mod.handler(Buffer.from(event, 'base64'), { ...context, logger });
    answer({ id, ok: true, result });
  } catch (err) {
    answer({ id, ok: false, error: { name: err?.name, message: err?.message, code: err?.code } });
  }
}
