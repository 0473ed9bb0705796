/**
 * Contract violations seen by the emulator in this process (a parameter the action does not have, a value sent
 * in the wrong form, an answer that strays from the response model). Kept on `globalThis` so the test harness
 * (test/setup/contracts.ts) sees what any emulator in the test file recorded and fails the test when it is not
 * empty; a test that provokes violations on purpose takes them itself.
 */
export interface ContractViolation {
  /** `nlb/2022-04-30/UpdateListenerAttribute` */
  api: string;
  kind: 'request' | 'response' | 'no-contract';
  detail: string;
}

const KEY = Symbol.for('nlb-mtls-autopilot.contractViolations');
type Holder = { [KEY]?: ContractViolation[] };

function store(): ContractViolation[] {
  const g = globalThis as Holder;
  return (g[KEY] ??= []);
}

export function recordViolations(violations: ContractViolation[]): void {
  store().push(...violations);
}

/** Every violation recorded since the last call, oldest first; the list is emptied. */
export function takeContractViolations(): ContractViolation[] {
  return store().splice(0);
}

export function describeViolation(v: ContractViolation): string {
  return `${v.api}: ${v.kind}: ${v.detail}`;
}
