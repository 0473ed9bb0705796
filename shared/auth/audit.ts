/**
 * One JSON line per authorization decision and per issue/renew/revoke: who, what, which certificate, result.
 * Written through the shared logger, so the field allowlist and secret scrubbing apply.
 */
import type { Logger } from '../log/index.js';
import type { Principal } from './principal.js';

export type AuditAction =
  | 'authenticate'
  | 'certificate.issue'
  | 'certificate.read'
  | 'certificate.list'
  | 'certificate.links'
  | 'certificate.renew'
  | 'certificate.revoke'
  | 'webhook-secret.read'
  | 'webhook-secret.rotate'
  // The console's reads (docs/console.md): the fleet summary and the listeners' last reconcile report.
  | 'fleet.summary'
  | 'listeners.read'
  // A certificate authenticated by proof of possession of its key (no bearer token): shared/certificates/possession.ts
  | 'certificate.renew_by_possession'
  | 'certificate.status_by_possession'
  // A CA rotation's successor picked up by its owner (shared/rotation/pickup.ts)
  | 'certificate.successor'
  | 'certificate.successor_by_possession';

export interface AuditEntry {
  action: AuditAction;
  principal?: Principal;
  decision?: 'allow' | 'deny';
  /** The policy rule that denied, or the error code of a failure. */
  rule?: string;
  code?: string;
  result: 'success' | 'denied' | 'failure';
  certificateId?: string;
  serialNumber?: string;
  generation?: number;
  reason?: string;
  requestId?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
}

export function createAuditLog(log: Logger): AuditLog {
  return {
    record(entry) {
      const { principal, ...rest } = entry;
      log.info('audit', {
        event: 'audit',
        actor: principal ? `${principal.kind}:${principal.name}` : 'anonymous',
        tenant: principal?.kind === 'token' ? principal.tenant : principal?.tenant,
        ...rest,
      });
    },
  };
}
