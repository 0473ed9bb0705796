// Why: shared/log writes JSON lines to stdout by default; in tests they go to the environment's per-test buffer
// (test/support/log-capture-environment.js), printed only when a test fails. Tests that read logs set their own sink
// and restore this one.
import { setLogSink } from '../../shared/log/index.js';

const capture = (globalThis as { __captureLogLine?: (line: string) => void }).__captureLogLine;
if (!capture) throw new Error('jest.config.js must set testEnvironment to test/support/log-capture-environment.js');
setLogSink(capture);
