/**
 * `rotate-ca finish` (after the switch): the old certificates stop being renewed and are left to expire, or with
 * `--revoke` are revoked (they no longer open the listener anyway). The old canary is revoked, sealed successor
 * passwords not picked up are deleted, and the rotation is archived. Stopping renewal writes `autoRenew: false` on
 * the record, as the renewal worker itself writes records; the owner then gets the usual `certificate.expiring`
 * notices for the old certificate.
 */
import { systemPrincipal } from '../auth/principal.js';
import { readRecord, writeRecord } from '../certificates/records.js';
import { commandRefusal } from '../domain/rotation/ca-rotation.js';
import type { RotationReport } from '../domain/rotation/report.js';
import { errorFields } from '../log/index.js';
import type { RotationDeps } from './context.js';
import { configNext, currentClients, reportBase, RotationRefusedError, save } from './common.js';
import { canaryKey, listSuccessors, loadRotation, putSuccessor } from './state-store.js';
import { ROTATION_PRINCIPAL } from './successors.js';

export async function finishRotation(
  deps: RotationDeps,
  options: { revoke?: boolean; planOnly?: boolean } = {},
): Promise<RotationReport> {
  let rotation = await loadRotation(deps.store);
  const refusal = commandRefusal('finish', rotation);
  if (refusal) throw new RotationRefusedError('ROTATION_STAGE', refusal);
  const successors = await listSuccessors(deps.store, rotation!.id);
  const stillOld = await currentClients(deps, rotation!);
  const withSuccessor = new Set(successors.map((s) => s.clientId));
  const withoutSuccessor = stillOld.filter((c) => !withSuccessor.has(c.record.id)).map((c) => c.record.id);
  if (options.planOnly)
    return {
      ...reportBase(rotation!, 'finish', true),
      finish: { renewalStopped: 0, revoked: 0, withoutSuccessor },
      next: [
        `npm run rotate-ca -- finish${options.revoke ? ' --revoke' : ''}   (${new Set([...withSuccessor, ...stillOld.map((c) => c.record.id)]).size} old certificates ${options.revoke ? 'revoked' : 'no longer renewed'})`,
      ],
    };
  if (rotation!.stage !== 'finishing')
    rotation = await save(deps, { ...rotation!, revokeOld: options.revoke ?? false }, 'finishing', 'finish-started');
  const revoke = rotation!.revokeOld === true;
  const service = deps.serviceFor(deps.config.issuingCa);
  const oldIds = [...new Set([...withSuccessor, ...stillOld.map((c) => c.record.id)])];
  let renewalStopped = 0;
  let revoked = 0;
  for (const id of oldIds) {
    const record = await readRecord(deps.store, id);
    if (!record || record.status !== 'ACTIVE') continue;
    if (revoke) {
      await service.revoke(systemPrincipal(ROTATION_PRINCIPAL, record.tenant), id, 'superseded');
      revoked += 1;
    } else if (record.autoRenew) {
      await writeRecord(deps.store, { ...record, autoRenew: false, updatedAt: deps.clock.now().toISOString() });
      renewalStopped += 1;
    }
  }
  for (const s of successors) {
    if (s.finished && !s.sealedPassword) continue;
    const { sealedPassword: _gone, ...rest } = s;
    await putSuccessor(deps.store, { ...rest, finished: revoke ? 'revoked' : 'renewal-stopped' });
  }
  // The old canary has nothing left to prove.
  const oldCanary = await deps.store.get(canaryKey(rotation!.id, 'old'));
  const oldCanaryId = oldCanary
    ? (JSON.parse(oldCanary.toString('utf8')) as { certificateId?: string }).certificateId
    : undefined;
  if (oldCanaryId)
    await service
      .revoke(systemPrincipal(ROTATION_PRINCIPAL, 'system'), oldCanaryId, 'superseded')
      .catch((err: unknown) =>
        deps.log.warn('old canary not revoked', { certificateId: oldCanaryId, ...errorFields(err) }),
      );
  rotation = await save(
    deps,
    rotation!,
    'finished',
    'finished',
    revoke ? `${revoked} revoked` : `${renewalStopped} no longer renewed`,
  );
  return {
    ...reportBase(rotation, 'finish'),
    finish: { renewalStopped, revoked, withoutSuccessor },
    next: configNext(rotation),
  };
}
