/**
 * `POST /v1/certificates/{id}/status-by-possession`: a device asks, with a proof of possession instead of a token,
 * whether the certificate it holds is still the record's current generation. Any generation of the record may ask
 * (a superseded or revoked one learns that it is).
 */
import { possessionEnabledTokens } from '../auth/possession-policy.js';
import { ForbiddenError } from '../errors/index.js';
import type { AuditFacts, PossessionContext } from './possession-context.js';
import { viewStatus, type ClientCertificateView } from './view.js';
import * as z from 'zod';

export const StatusByPossessionRequestSchema = z.strictObject({ proof: z.string().min(1).max(16_384) });
export type StatusByPossessionRequest = z.infer<typeof StatusByPossessionRequestSchema>;

/** What a device learns about its own certificate. */
export interface PossessionStatus {
  id: string;
  status: ClientCertificateView['status'];
  /** True when the presented certificate is the record's current generation. */
  current: boolean;
  presented: { generation: number; serialNumber: string };
  generation: number;
  serialNumber: string;
  notAfter: string;
  renewAt: string;
  autoRenew: boolean;
}

export async function statusByPossession(
  ctx: PossessionContext,
  id: string,
  request: StatusByPossessionRequest,
  facts: AuditFacts,
): Promise<PossessionStatus> {
  const { proof, record, standing } = await ctx.authenticate(id, request.proof, 'nlb-mtls:status', undefined, facts);
  if (possessionEnabledTokens(await ctx.deps.tokens(), record.tenant, ctx.now()).length === 0)
    throw new ForbiddenError('renewByPossession', "Proof of possession is not enabled for this certificate's tenant.");
  return {
    id: record.id,
    status: viewStatus(record, ctx.now()),
    current: standing.current,
    presented: { generation: standing.generation, serialNumber: proof.certificate.serialNumber },
    generation: record.current.generation,
    serialNumber: record.current.serialNumber,
    notAfter: record.current.notAfter,
    renewAt: record.renewal.renewAt,
    autoRenew: record.autoRenew,
  };
}
