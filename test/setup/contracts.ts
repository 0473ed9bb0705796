// Every test file runs with this: a contract violation any emulator recorded during a test (a parameter the
// action lacks, a list sent flat, an answer outside the response model) fails that test, even when the code
// under test swallowed the emulator's refusal. Tests that provoke violations on purpose take them themselves.
import { describeViolation, takeContractViolations } from '../../local/emulator/contracts/violations.js';

afterEach(() => {
  const violations = takeContractViolations();
  if (violations.length > 0)
    throw new Error(`The emulator recorded contract violations:\n${violations.map(describeViolation).join('\n')}`);
});
