/**
 * Why: every read the console added (fleet summary, details, listeners) leaves the same audit line as the API's
 * other reads: allow and success, or deny with the code (403 by policy, 404 outside the token's names), or a
 * failure with its code.
 */
import { isAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { createAuditLog, type AuditAction } from './audit.js';
import type { Principal } from './principal.js';

export async function auditedRead<T>(
  log: Logger,
  entry: { action: AuditAction; principal: Principal; certificateId?: string },
  work: () => Promise<T>,
): Promise<T> {
  const audit = createAuditLog(log);
  try {
    const value = await work();
    audit.record({ ...entry, decision: 'allow', result: 'success' });
    return value;
  } catch (err) {
    const denied = isAppError(err) && (err.status === 403 || err.status === 404);
    audit.record({
      ...entry,
      decision: denied ? 'deny' : 'allow',
      result: denied ? 'denied' : 'failure',
      code: isAppError(err) ? err.code : 'INTERNAL',
    });
    throw err;
  }
}
