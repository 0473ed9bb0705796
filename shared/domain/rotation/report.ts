/** What each `rotate-ca` command reports (JSON with --json, text otherwise): the plan it followed and what it did. */
import type { CaRotation, GateResult, RotationCommand, RotationStage, TenantShare } from './ca-rotation.js';

export interface HandshakeLine {
  listenerId: string;
  verdict: 'passed' | 'failed';
  trusted: string;
  distrusted: string;
  withoutCertificate: string;
  reasons: string[];
}

export interface RotationReport {
  command: RotationCommand;
  /** True when the command only showed what it would do (`plan`, or `--plan`). */
  planOnly: boolean;
  rotationId?: string;
  stage?: RotationStage;
  from?: CaRotation['from'];
  to?: CaRotation['to'];
  thresholdPercent?: number;
  listeners?: Array<{ listenerId: string; trusts?: string; switchedAt?: string; rolledBackAt?: string }>;
  /** Why the command refused (nothing was changed). */
  refusals?: string[];
  /** Active clients under the old CA, per tenant, and how many hold a successor. */
  clients?: { total: TenantShare; perTenant: Record<string, TenantShare>; csrMode: number; serverKeyMode: number };
  successors?: {
    issued: number;
    existing: number;
    failed: Array<{ clientId: string; code?: string }>;
    delivered: number;
  };
  gate?: GateResult;
  handshakes?: HandshakeLine[];
  finish?: { renewalStopped: number; revoked: number; withoutSuccessor: string[] };
  rollback?: { automatic: boolean; successorsRevoked: number };
  /** What to do next, in the operator's words. */
  next: string[];
}
