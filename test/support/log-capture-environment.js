/**
 * Why: a passing `npm test` prints only test results, yet a failing test still shows the log lines that explain it.
 * Every JSON log line written during a test file (shared/log's sink, set in `capture-logs.ts`) lands in a buffer
 * here; when a test or a hook fails, the lines written since the previous test ended are printed through the test
 * file's console (shown with that file's result), and otherwise they are dropped.
 */
import { TestEnvironment } from 'jest-environment-node';

/** Enough for the slowest integration test (a fleet sweep) without keeping every line of a long file. */
const MAX_LINES = 4000;

export default class LogCaptureEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.lines = [];
    this.dropped = 0;
    this.global.__captureLogLine = (line) => {
      this.lines.push(line);
      if (this.lines.length > MAX_LINES) {
        this.lines.shift();
        this.dropped += 1;
      }
    };
  }

  async handleTestEvent(event) {
    if (event.name === 'test_done') {
      if (event.test.errors.length > 0) this.print(`test "${fullName(event.test)}" failed`);
      this.clear();
    } else if (event.name === 'hook_failure') {
      this.print(`${event.hook.type} hook failed`);
      this.clear();
    }
  }

  print(what) {
    if (this.lines.length === 0) return;
    const skipped = this.dropped > 0 ? ` (the first ${this.dropped} were dropped)` : '';
    this.global.console.log(`${what}; its log lines${skipped}:\n${this.lines.join('\n')}`);
  }

  clear() {
    this.lines = [];
    this.dropped = 0;
  }
}

function fullName(test) {
  const names = [];
  for (let block = test; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent) names.unshift(block.name);
  return names.join(' > ');
}
