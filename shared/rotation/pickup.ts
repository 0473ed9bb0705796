/**
 * An owner picks up the successor of a certificate (docs/rotation.md): with its bearer token
 * (`GET /v1/certificates/{id}/successor`), or, for a device, with a proof of possession of the certificate's key
 * (`POST /v1/certificates/{id}/successor-by-possession`, what `nlb-mtls successor` sends). The answer is the
 * successor's view and fresh signed links; in server-key mode also its .p12 password, on the first pickup only
 * (it was sealed until then, and is deleted from the bucket as it is handed out). A pickup counts for the gate.
 */
import { possessionEnabledTokens } from '../auth/possession-policy.js';
import { systemPrincipal, type Principal, type TokenPrincipal } from '../auth/principal.js';
import type { IssuingCa } from '../certificates/authority.js';
import type { CertificateService } from '../certificates/service.js';
import type { StateCipher } from '../certificates/sealing.js';
import { createPossessionContext, type PossessionDeps } from '../certificates/possession-context.js';
import type { ClientCertificateView, Downloads } from '../certificates/view.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { AppError, ForbiddenError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import * as z from 'zod';
import { getSuccessor, loadRotation, putSuccessor, successorKey } from './state-store.js';
import { ROTATION_PRINCIPAL } from './successors.js';

export const SuccessorByPossessionRequestSchema = z.strictObject({ proof: z.string().min(1).max(16_384) });
export type SuccessorByPossessionRequest = z.infer<typeof SuccessorByPossessionRequestSchema>;

export interface SuccessorAnswer {
  certificateId: string;
  rotation: { id: string; stage: string; fromCa: string; toCa: string };
  successor: ClientCertificateView;
  downloads: Downloads;
  /** Server-key mode, first pickup only. */
  p12Password?: string;
}

export class NoSuccessorError extends AppError {
  constructor() {
    super('NO_SUCCESSOR', 404, 'This certificate has no successor: no CA rotation has issued one for it.');
  }
}

export interface SuccessorPickupDeps {
  service: CertificateService;
  store: ObjectStore;
  cipher: StateCipher;
  clock: Clock;
  log: Logger;
  /** For the device's route: the same checks as renewal by possession. */
  possession: PossessionDeps;
  /**
   * The sub-CA a rotation's predecessors come from (`rotation.from.issuingCa`): a straggler proves possession with a
   * certificate of the OLD sub-CA, also once the functions issue from the new one (PCA_PARENT_IDENTIFIER moved).
   */
  issuingCaFor?: (identifier: string) => IssuingCa;
  linkSeconds: number;
}

export interface SuccessorPickup {
  byToken(principal: TokenPrincipal, id: string): Promise<SuccessorAnswer>;
  byPossession(id: string, request: SuccessorByPossessionRequest): Promise<SuccessorAnswer>;
  withLogger(log: Logger): SuccessorPickup;
}

export function createSuccessorPickup(deps: SuccessorPickupDeps): SuccessorPickup {
  const build = (log: Logger): SuccessorPickup => {
    const service = deps.service.withLogger(log);

    /** `principal` has already been allowed to see certificate `id`. */
    async function answer(principal: Principal, id: string): Promise<SuccessorAnswer> {
      const rotation = await loadRotation(deps.store);
      if (!rotation || rotation.stage === 'rolled-back') throw new NoSuccessorError();
      let successor = await getSuccessor(deps.store, rotation.id, id);
      if (!successor) throw new NoSuccessorError();
      const view = await service.get(principal, successor.successorId);
      const links = await service.links(principal, successor.successorId, deps.linkSeconds);
      let p12Password: string | undefined;
      if (successor.sealedPassword) {
        p12Password = deps.cipher.open<{ p12Password: string }>(
          successor.sealedPassword as never,
          successorKey(rotation.id, id),
        ).p12Password;
      }
      const { sealedPassword: _handedOut, ...rest } = successor;
      successor = { ...rest, pickedUpAt: successor.pickedUpAt ?? deps.clock.now().toISOString() };
      await putSuccessor(deps.store, successor);
      return {
        certificateId: id,
        rotation: { id: rotation.id, stage: rotation.stage, fromCa: rotation.from.caId, toCa: rotation.to.caId },
        successor: view,
        downloads: links.downloads,
        ...(p12Password ? { p12Password } : {}),
      };
    }

    const possession = createPossessionContext({ ...deps.possession, log }, log);
    const predecessors = new Map<string, ReturnType<typeof createPossessionContext>>();
    /** Proofs are checked against the sub-CA that issued the rotation's predecessors. */
    const possessionFor = (issuingCa: string | undefined) => {
      if (!issuingCa || !deps.issuingCaFor) return possession;
      let context = predecessors.get(issuingCa);
      if (!context) {
        context = createPossessionContext({ ...deps.possession, issuingCa: deps.issuingCaFor(issuingCa), log }, log);
        predecessors.set(issuingCa, context);
      }
      return context;
    };
    return {
      byToken: (principal, id) =>
        possession.audited('certificate.successor', id, async (facts) => {
          facts.principal = principal;
          await service.get(principal, id); // the caller may see the certificate (else 404, as for any other)
          return answer(principal, id);
        }),
      byPossession: (id, request) =>
        possession.audited('certificate.successor_by_possession', id, async (facts) => {
          const rotation = await loadRotation(deps.store);
          const { record } = await possessionFor(rotation?.from.issuingCa).authenticate(
            id,
            request.proof,
            'nlb-mtls:successor',
            undefined,
            facts,
          );
          if (possessionEnabledTokens(await deps.possession.tokens(), record.tenant, deps.clock.now()).length === 0)
            throw new ForbiddenError(
              'renewByPossession',
              "Proof of possession is not enabled for this certificate's tenant.",
            );
          return answer(systemPrincipal(ROTATION_PRINCIPAL, record.tenant), id);
        }),
      withLogger: (next) => build(next),
    };
  };
  return build(deps.log);
}
