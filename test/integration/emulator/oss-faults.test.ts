// Fault injection on the emulated OSS, seen through the ObjectStore adapter: an injected error surfaces with its
// OSS code and status (no silent retry), a delay beyond the client timeout is a timeout (yet the write happens),
// a dropped connection is a network error, and every call is counted under its OSS action name.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaultInjector, Faults } from '../../../local/emulator/faults.js';
import { startOssServer, type OssServer } from '../../../local/emulator/oss/server.js';
import { ObjectStoreError, createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import { eventually } from '../../helpers/eventually.js';

const BUCKET = 'nma-faults';
const credentials = { accessKeyId: 'LTAI5tFaults', accessKeySecret: 'faults-secret' };

let dataDir: string;
let oss: OssServer;
let faults: FaultInjector;
let store: ObjectStore;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'nma-'));
  faults = new FaultInjector();
  oss = await startOssServer({ dataDir, faults, credentials: [credentials], buckets: [BUCKET] });
  store = createOssObjectStore({
    endpoint: oss.endpoint,
    bucket: BUCKET,
    credentials,
    region: 'cn-hangzhou',
    timeoutMs: 300,
  });
});

afterEach(() => {
  faults.clear();
  faults.resetCounts();
});

afterAll(async () => {
  await oss.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every string and buffer reachable from a value (own properties, causes included), as one text. */
function everythingIn(value: unknown, seen = new Set<unknown>()): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || seen.has(value)) return '';
  seen.add(value);
  return Object.getOwnPropertyNames(value)
    .map((k) => everythingIn((value as Record<string, unknown>)[k], seen))
    .join(' ');
}

describe('injected errors', () => {
  it.each([
    ['PutObject', Faults.internal(), () => store.put('records/f.json', '{}'), 'InternalError', 500],
    ['GetObject', Faults.unavailable(), () => store.get('records/f.json'), 'ServiceUnavailable', 503],
    ['HeadObject', Faults.unavailable(), () => store.exists('records/f.json'), 'ServiceUnavailable', 503],
    ['DeleteObject', Faults.throttling(), () => store.delete('records/f.json'), 'Throttling', 400],
    ['ListObjectsV2', Faults.internal(), () => store.list({ prefix: 'records/' }), 'InternalError', 500],
  ] as const)(
    'fails the next %s once with the fault, then succeeds on the next call',
    async (action, fault, call, code, status) => {
      // prepare
      oss.putObjectDirect(BUCKET, 'records/f.json', '{}');
      faults.failNext(action, 1, fault);
      // act
      const first = await (call as () => Promise<unknown>)().catch((e: unknown) => e);
      const second = await (call as () => Promise<unknown>)().then(() => 'ok');
      // assess: one call each, so the adapter did not retry behind the caller's back
      expect(first).toBeInstanceOf(ObjectStoreError);
      expect(first).toMatchObject({ code, status });
      expect(second).toBe('ok');
      expect(faults.count(action)).toBe(2);
    },
  );

  it('keeps the request id of the failed call for the logs, but not the object body', async () => {
    faults.failNext('PutObject', 1, Faults.internal());
    const err = (await store
      .put('pending/cc-sealed.json', '{"sealedKey":"c2VhbGVk"}')
      .catch((e: unknown) => e)) as ObjectStoreError;
    expect(err.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(everythingIn(err)).not.toContain('c2VhbGVk');
  });
});

describe('timeouts and dropped connections', () => {
  it('reports a delay beyond the client timeout as RequestTimeout, and the delayed write still lands', async () => {
    // prepare
    faults.failNext('PutObject', 1, Faults.delay(800));
    // act
    const err = await store.put('records/slow.json', '{"slow":true}').catch((e: unknown) => e);
    await eventually(() => oss.getObjectMeta(BUCKET, 'records/slow.json') !== undefined, 'the delayed write lands');
    // assess
    expect(err).toMatchObject({ name: 'ObjectStoreError', code: 'RequestTimeout', status: undefined });
    expect(oss.getObjectMeta(BUCKET, 'records/slow.json')).toMatchObject({ size: 13 });
  });

  it('reports a dropped connection as NetworkError, with no status', async () => {
    faults.failNext('HeadObject', 1, Faults.drop());
    const err = await store.exists('records/f.json').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ObjectStoreError', code: 'NetworkError', status: undefined });
  });
});

describe('rate limit', () => {
  it('answers Throttling above the configured calls per second', async () => {
    // prepare
    oss.putObjectDirect(BUCKET, 'records/r.json', '{}');
    faults.rateLimit('GetObject', 2);
    // act
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => store.get('records/r.json')));
    // assess
    const throttled = results.filter(
      (r) => r.status === 'rejected' && (r.reason as ObjectStoreError).code === 'Throttling',
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(throttled).toHaveLength(2);
  });
});
