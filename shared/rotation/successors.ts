/**
 * A client's successor under the new CA, issued through the certificate service of the new sub-CA and delivered
 * like a renewal: a signed `certificate.successor_issued` webhook to the certificate's own webhook, fresh links, and
 * a pickup through the API or the nlb-mtls client (./pickup.ts).
 *
 * What a successor is depends on who holds the key:
 * - CSR mode: a certificate for the SAME public key (the stored CSR, resubmitted under the new sub-CA). The device
 *   keeps its key and needs only the new certificate, which is public; it can hold both and use either.
 * - server-key mode: a NEW key and certificate in a new .p12 (new password), made by the service as on issue. The
 *   password goes in the webhook and, sealed with STATE_KEY until then, to the first pickup through the API.
 *
 * Idempotent: the service call carries an Idempotency-Key derived from the rotation and the client, so a crash
 * between the issue and our record replays the same successor; the record is written before any delivery.
 */
import { systemPrincipal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { CaRotation, SuccessorRecord } from '../domain/rotation/ca-rotation.js';
import { errorFields } from '../log/index.js';
import { successorIssuedEvent, summarize, type DownloadLink } from '../notify/events.js';
import type { RotationDeps } from './context.js';
import { ROTATION_LABEL, SUCCESSOR_OF_LABEL } from './clients.js';
import { getSuccessor, putSuccessor, successorKey } from './state-store.js';

export const ROTATION_PRINCIPAL = 'rotate-ca';
const MAX_LABELS = 20;

export const SUCCESSOR_INSTRUCTIONS =
  'Keep the certificate you use now and install this successor beside it. The listener still trusts the old CA; ' +
  'after the switch it trusts only the new one: then use the successor (the nlb-mtls client falls back to it by itself).';

function successorLabels(record: ClientCertificate, rotationId: string): Record<string, string> {
  const ours = { [ROTATION_LABEL]: rotationId, [SUCCESSOR_OF_LABEL]: record.id };
  const theirs = Object.entries(record.labels ?? {}).filter(([k]) => !(k in ours));
  return { ...Object.fromEntries(theirs.slice(0, MAX_LABELS - 2)), ...ours };
}

export interface SuccessorOutcome {
  clientId: string;
  tenant: string;
  successorId?: string;
  /** issued now, already there, or failed (with the code). */
  result: 'issued' | 'existing' | 'failed';
  delivered?: boolean;
  code?: string;
}

/** Issues (or finds) the successor of one client and sends its webhook if it has not been delivered yet. */
export async function ensureSuccessor(
  deps: RotationDeps,
  rotation: CaRotation,
  record: ClientCertificate,
): Promise<SuccessorOutcome> {
  const base = { clientId: record.id, tenant: record.tenant };
  let successor = await getSuccessor(deps.store, rotation.id, record.id);
  let result: SuccessorOutcome['result'] = 'existing';
  let password: string | undefined;
  if (!successor) {
    const service = deps.serviceFor(rotation.to.issuingCa);
    let issued;
    try {
      issued = await service.issue(
        systemPrincipal(ROTATION_PRINCIPAL, record.tenant),
        {
          commonName: record.commonName,
          sans: record.sans,
          validityDays: record.validityDays,
          ...(record.mode === 'csr'
            ? { csr: record.csrPem! }
            : {
                keyAlgorithm: record.keyAlgorithm as 'RSA_2048' | 'RSA_4096' | 'EC_P256',
                p12Profile: record.p12Profile,
              }),
          autoRenew: record.autoRenew,
          ...(record.renewBeforeDays !== undefined ? { renewBeforeDays: record.renewBeforeDays } : {}),
          ...(record.notify ? { notify: record.notify } : {}),
          labels: successorLabels(record, rotation.id),
        },
        `rotation-${rotation.id}-${record.id}`,
      );
    } catch (err) {
      deps.log.warn('successor not issued', { certificateId: record.id, tenant: record.tenant, ...errorFields(err) });
      return { ...base, result: 'failed', code: (err as { code?: string }).code ?? 'UNKNOWN' };
    }
    password = issued.p12Password;
    successor = {
      v: 1,
      rotationId: rotation.id,
      clientId: record.id,
      tenant: record.tenant,
      commonName: record.commonName,
      mode: record.mode,
      successorId: issued.id,
      issuedAt: deps.clock.now().toISOString(),
      ...(password
        ? { sealedPassword: deps.cipher.seal({ p12Password: password }, successorKey(rotation.id, record.id)) }
        : {}),
    };
    await putSuccessor(deps.store, successor);
    result = 'issued';
    deps.log.info('successor issued', {
      event: 'certificate.successor_issued',
      certificateId: record.id,
      tenant: record.tenant,
      reason: rotation.id,
    });
  }
  if (successor.webhook?.deliveredAt || !record.notify) return { ...base, successorId: successor.successorId, result };

  // Deliver (again, after a failure or a crash): the password from the sealed copy when it is still held.
  if (!password && successor.sealedPassword)
    password = deps.cipher.open<{ p12Password: string }>(
      successor.sealedPassword as never,
      successorKey(rotation.id, record.id),
    ).p12Password;
  const delivered = await deliverSuccessorWebhook(deps, rotation, record, successor, password);
  successor = {
    ...successor,
    webhook: delivered.ok
      ? { deliveredAt: deps.clock.now().toISOString() }
      : { failedAt: deps.clock.now().toISOString(), code: delivered.code },
  };
  await putSuccessor(deps.store, successor);
  return {
    ...base,
    successorId: successor.successorId,
    result,
    delivered: delivered.ok,
    ...(delivered.code ? { code: delivered.code } : {}),
  };
}

async function deliverSuccessorWebhook(
  deps: RotationDeps,
  rotation: CaRotation,
  record: ClientCertificate,
  successor: SuccessorRecord,
  password: string | undefined,
): Promise<{ ok: boolean; code?: string }> {
  if (!deps.webhooks) return { ok: false, code: 'NO_WEBHOOK_SECRET' };
  const principal = systemPrincipal(ROTATION_PRINCIPAL, record.tenant);
  const service = deps.serviceFor(rotation.to.issuingCa);
  const next = await service.getRecord(principal, successor.successorId);
  const links = await service.links(principal, successor.successorId, deps.config.linkSeconds);
  const issued = record.mode === 'csr' ? await deps.pca.getClientCertificate(next.current.casIdentifier) : undefined;
  const event = successorIssuedEvent(
    {
      certificate: summarize(record),
      successor: { ...summarize(next), issuingCa: rotation.to.issuingCa },
      rotation: { id: rotation.id, fromCa: rotation.from.caId, toCa: rotation.to.caId },
      downloads: links.downloads as unknown as Record<string, DownloadLink>,
      ...(issued ? { certificatePem: issued.certificatePem, chainPem: issued.chainPems.join('') } : {}),
      ...(password ? { p12Password: password } : {}),
      instructions: SUCCESSOR_INSTRUCTIONS,
    },
    deps.clock.now(),
  );
  const delivery = await deps.webhooks.send(record.notify!.webhookUrl, record.tenant, event);
  return { ok: delivery.delivered, ...(delivery.error ? { code: delivery.error } : {}) };
}
