/**
 * What every emulated endpoint does with a contract finding: record it for the test harness and, in strict mode
 * (the default), hand back the message the endpoint refuses with; otherwise log it and carry on.
 */
import type { Logger } from '../../../shared/log/index.js';
import type { Contract } from './load.js';
import { recordViolations, type ContractViolation } from './violations.js';

export function contractFileOf(contract: Contract): string {
  return `contracts/${contract.product}-${contract.version}/${contract.action}.json (${contract.source.repository}@${contract.source.commit.slice(0, 7)})`;
}

/** The refusal message in strict mode; undefined (after a warning) otherwise, or when nothing was found. */
export function contractFailure(
  contract: Contract,
  kind: ContractViolation['kind'],
  details: string[],
  options: { strict: boolean; log: Logger },
): string | undefined {
  if (details.length === 0) return undefined;
  const api = `${contract.product}/${contract.version}/${contract.action}`;
  recordViolations(details.map((detail) => ({ api, kind, detail })));
  const message = `Contract check failed against ${contractFileOf(contract)}: ${details.join('; ')}.`;
  if (options.strict) return message;
  options.log.warn('emulator contract check failed', { apiAction: contract.action, reason: message });
  return undefined;
}

/** Strict unless EMULATOR_STRICT_CONTRACTS=false (a local experiment with code that is not fixed yet). */
export function strictFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.EMULATOR_STRICT_CONTRACTS !== 'false';
}
