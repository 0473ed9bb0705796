/**
 * Where a CA rotation lives in the bucket: `rotation/state.json` (the rotation in progress, or the last one),
 * `rotation/<id>/successors/<certificate id>.json` (one per client: its successor, delivery and pickup), the
 * canaries' sealed state beside them, and `rotation/history/<id>.json` (a finished or rolled-back rotation).
 */
import type { ObjectStore } from '../domain/ports.js';
import type { CaRotation, SuccessorRecord } from '../domain/rotation/ca-rotation.js';
import { isCertificateId } from '../certificates/ids.js';
import { listAllKeys } from '../certificates/storage.js';

export const ROTATION_STATE_KEY = 'rotation/state.json';
export const successorKey = (rotationId: string, clientId: string) =>
  `rotation/${rotationId}/successors/${clientId}.json`;
export const canaryKey = (rotationId: string, side: 'old' | 'new') => `rotation/${rotationId}/canary-${side}.json`;
export const historyKey = (rotationId: string) => `rotation/history/${rotationId}.json`;

const json = (value: unknown) => JSON.stringify(value, null, 1);

export async function loadRotation(store: ObjectStore): Promise<CaRotation | undefined> {
  const body = await store.get(ROTATION_STATE_KEY);
  return body ? (JSON.parse(body.toString('utf8')) as CaRotation) : undefined;
}

export async function saveRotation(store: ObjectStore, rotation: CaRotation): Promise<void> {
  await store.put(ROTATION_STATE_KEY, json(rotation), { contentType: 'application/json' });
  if (rotation.stage === 'finished' || rotation.stage === 'rolled-back')
    await store.put(historyKey(rotation.id), json(rotation), { contentType: 'application/json' });
}

export async function getSuccessor(
  store: ObjectStore,
  rotationId: string,
  clientId: string,
): Promise<SuccessorRecord | undefined> {
  if (!isCertificateId(clientId)) return undefined;
  const body = await store.get(successorKey(rotationId, clientId));
  return body ? (JSON.parse(body.toString('utf8')) as SuccessorRecord) : undefined;
}

export async function putSuccessor(store: ObjectStore, record: SuccessorRecord): Promise<void> {
  await store.put(successorKey(record.rotationId, record.clientId), json(record), { contentType: 'application/json' });
}

/** Every successor record of a rotation (one listing page per 1000). */
export async function listSuccessors(store: ObjectStore, rotationId: string): Promise<SuccessorRecord[]> {
  const prefix = `rotation/${rotationId}/successors/`;
  const keys = await listAllKeys(store, prefix);
  const out: SuccessorRecord[] = [];
  for (const key of keys) {
    const body = await store.get(key);
    if (body) out.push(JSON.parse(body.toString('utf8')) as SuccessorRecord);
  }
  return out;
}
