// Why: one place for the property tests' budget, so `npm test` stays fast. Each property runs `numRuns` random cases
// (a new seed each run, printed with any failure; `FC_SEED=<seed> npm run -s jest -- test/property` replays it).
import fc from 'fast-check';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
fc.configureGlobal({ numRuns: 100, ...(seed !== undefined ? { seed } : {}) });

/** For properties whose cases cost real work (signatures, an openssl process): fewer runs. */
export const EXPENSIVE = { numRuns: 25 };
export const CHEAP = { numRuns: 500 };

/** Calls `fn`; answers the value it returned or the error it threw, so a property can assert on either. */
export function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

export async function asyncOutcome<T>(
  fn: () => T | Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

export { fc };
