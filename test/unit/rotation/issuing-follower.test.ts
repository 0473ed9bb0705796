// Which sub-CA issues while a CA rotation runs, and which ones a proof of possession may chain to (pure, per stage),
// and how the state is read: at each call, calls at the same time sharing one read, a failed read not kept.
import { describe, expect, it } from '@jest/globals';
import type { CaRotation, RotationStage } from '../../../shared/domain/rotation/ca-rotation.js';
import { acceptedSubCas, issuingSubCa } from '../../../shared/domain/rotation/issuing.js';
import { createIssuingFollower } from '../../../shared/rotation/issuing-follower.js';
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
  it('reads rotation/state.json at each call (calls at the same time share one read): a switch is followed at once', async () => {
    const store = new MemoryObjectStore();
    const follower = createIssuingFollower({ store, configured: 'S1' });
    expect(await follower.issuing()).toBe('S1'); // no rotation ever: a 404
    await saveRotation(store, rotation('prepared'));
    expect(await follower.issuing()).toBe('S1');
    expect(await follower.accepted()).toEqual(['S1', 'S2']);
    await saveRotation(store, rotation('switched'));
    expect(await follower.issuing()).toBe('S2');
    await saveRotation(store, rotation('rolled-back'));
    expect(await follower.issuing()).toBe('S1');
    const reads = store.calls.get;
    expect(await Promise.all([follower.issuing(), follower.accepted(), follower.issuing()])).toEqual([
      'S1',
      ['S1'],
      'S1',
    ]);
    expect(store.calls.get - reads).toBe(1);
  });

  it('a failed read is an error for that call only: the next call reads again', async () => {
    const store = new MemoryObjectStore();
    const follower = createIssuingFollower({ store, configured: 'S1' });
    await saveRotation(store, rotation('switched'));
    store.failOnce('get', 0, (key) => key === ROTATION_STATE_KEY);
    await expect(follower.issuing()).rejects.toThrow();
    expect(await follower.issuing()).toBe('S2');
  });
});
