// Which sub-CA issues while a CA rotation runs, and which ones a proof of possession may chain to (pure, per stage),
// and what following the rotation costs: one read of rotation/state.json per 30 s per instance, a failed read not kept.
import { describe, expect, it } from '@jest/globals';
import type { CaRotation, RotationStage } from '../../../shared/domain/rotation/ca-rotation.js';
import { acceptedSubCas, issuingSubCa } from '../../../shared/domain/rotation/issuing.js';
import { createIssuingFollower, FOLLOW_CACHE_MS } from '../../../shared/rotation/issuing-follower.js';
import { ROTATION_STATE_KEY, saveRotation } from '../../../shared/rotation/state-store.js';
import { MemoryObjectStore } from '../../helpers/memory-object-store.js';

function rotation(stage: RotationStage): CaRotation {
  return {
    v: 1,
    id: 'rot-1',
    stage,
    createdAt: '',
    updatedAt: '',
    from: { caId: 'R1', issuingCa: 'S1' },
    to: { caId: 'R2', issuingCa: 'S2' },
    thresholdPercent: 90,
    listeners: [{ listenerId: 'lsn-a@443', region: 'cn-hangzhou' }],
    history: [],
  };
}

describe('issuingSubCa and acceptedSubCas, configured S1, rotating S1 -> S2', () => {
  it.each<[RotationStage | undefined, string, string[]]>([
    [undefined, 'S1', ['S1']],
    ['preparing', 'S1', ['S1', 'S2']],
    ['prepared', 'S1', ['S1', 'S2']],
    ['switching', 'S1', ['S1', 'S2']],
    ['switched', 'S2', ['S1', 'S2']],
    ['finishing', 'S2', ['S1', 'S2']],
    ['finished', 'S2', ['S1', 'S2']],
    ['rolling-back', 'S1', ['S1']],
    ['rolled-back', 'S1', ['S1']],
  ])('%s: issues from %s, accepts %j', (stage, issuing, accepted) => {
    const r = stage ? rotation(stage) : undefined;
    expect(issuingSubCa(r, 'S1')).toBe(issuing);
    expect(acceptedSubCas(r, 'S1')).toEqual(accepted);
  });

  it('once PCA_PARENT_IDENTIFIER names the new sub-CA (or a third one), the configuration decides alone', () => {
    for (const configured of ['S2', 'S3']) {
      expect(issuingSubCa(rotation('finished'), configured)).toBe(configured);
      expect(acceptedSubCas(rotation('switched'), configured)).toEqual([configured]);
    }
  });
});

describe('createIssuingFollower', () => {
  it('without a rotation in progress, reads rotation/state.json at most once per cache period', async () => {
    const store = new MemoryObjectStore();
    let now = Date.parse('2026-12-01T00:00:00Z');
    const follower = createIssuingFollower({ store, clock: { now: () => new Date(now) }, configured: 'S1' });
    expect(await follower.issuing()).toBe('S1'); // no rotation ever: a 404
    await saveRotation(store, rotation('finished'));
    now += FOLLOW_CACHE_MS - 1;
    expect(await follower.issuing()).toBe('S1');
    expect(await follower.accepted()).toEqual(['S1']);
    expect(store.calls.get).toBe(1);
    now += 1;
    expect(await follower.issuing()).toBe('S2');
    expect(await follower.accepted()).toEqual(['S1', 'S2']);
    expect(store.calls.get).toBe(2);
  });

  it('while a rotation is in progress, each call reads the state: the first issuance after a switch follows it', async () => {
    const store = new MemoryObjectStore();
    const follower = createIssuingFollower({ store, clock: { now: () => new Date(0) }, configured: 'S1' });
    await saveRotation(store, rotation('prepared'));
    expect(await follower.issuing()).toBe('S1');
    await saveRotation(store, rotation('switched'));
    expect(await follower.issuing()).toBe('S2');
    await saveRotation(store, rotation('rolled-back'));
    expect(await follower.issuing()).toBe('S1');
    const reads = store.calls.get;
    await Promise.all([follower.issuing(), follower.accepted()]);
    expect(store.calls.get).toBe(reads); // rolled back: kept
  });

  it('a failed read is an error for that call only: the next call reads again', async () => {
    const store = new MemoryObjectStore();
    const follower = createIssuingFollower({ store, clock: { now: () => new Date(0) }, configured: 'S1' });
    await saveRotation(store, rotation('switched'));
    store.failOnce('get', 0, (key) => key === ROTATION_STATE_KEY);
    await expect(follower.issuing()).rejects.toThrow();
    expect(await follower.issuing()).toBe('S2');
  });
});
