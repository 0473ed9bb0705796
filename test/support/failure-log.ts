// Why: tests that read the logs themselves (their own sink) or run a CLI (its logs on stderr) still show those lines
// when they fail: these helpers hand them to the failure buffer of test/support/log-capture-environment.js too.
import type { LogSink } from '../../shared/log/index.js';

const buffer = () => (globalThis as { __captureLogLine?: (line: string) => void }).__captureLogLine;

/** Keeps each line of `text` (a child process's stderr, say) to print if the current test fails. */
export function keepForFailure(text: string): void {
  const capture = buffer();
  for (const line of text.split('\n')) if (line.trim()) capture?.(line);
}

/** A test's own log sink that also keeps every line for the failure report. */
export function alsoKeptForFailure(sink: LogSink): LogSink {
  return (line) => {
    sink(line);
    buffer()?.(line);
  };
}
