// The unit tests' in-memory ObjectStore keeps the same contract as the OSS adapter on the emulator
// (test/integration/emulator/oss-store-contract.test.ts runs the same suite there), plus its own test hooks.
import { MemoryObjectStore, StoreFault } from '../../helpers/memory-object-store.js';
import { describeObjectStoreContract } from '../../helpers/object-store-contract.js';

describeObjectStoreContract('in-memory fake', async () => ({ store: new MemoryObjectStore() }));

describe('the fake’s test hooks', () => {
  it('counts each operation and fails the chosen matching call once', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    store.failOnce('put', 1, (key) => key.startsWith('records/'));
    // Act
    await store.put('bundles/a', 'x');
    await store.put('records/a', 'x');
    const failed = await store.put('records/b', 'x').catch((e: unknown) => e);
    await store.put('records/c', 'x');
    // Assess
    expect(failed).toBeInstanceOf(StoreFault);
    expect(failed).toMatchObject({ code: 'InternalError', status: 500 });
    expect(store.keys()).toEqual(['bundles/a', 'records/a', 'records/c']);
    expect(store.calls).toEqual({ put: 4, get: 0, exists: 0, delete: 0, list: 0, signedGetUrl: 0 });
  });

  it('reads JSON without counting a call: json throws on a missing key, maybeJson answers undefined', async () => {
    const store = new MemoryObjectStore();
    await store.put('records/a.json', '{"id":"a"}');
    expect(store.json('records/a.json')).toEqual({ id: 'a' });
    expect(store.maybeJson('records/b.json')).toBeUndefined();
    expect(() => store.json('records/b.json')).toThrow('no object at records/b.json');
    expect(store.calls.get).toBe(0);
  });
});
