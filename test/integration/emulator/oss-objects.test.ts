// The emulated OSS through ali-oss and our ObjectStore adapter: objects, create-only writes, recorded ACL and
// encryption, ListObjectsV2 paging, a large seeded index, and data kept on disk across a restart.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { FaultInjector } from '../../../local/emulator/faults.js';
import { startOssServer, type OssServer } from '../../../local/emulator/oss/server.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { ObjectExistsError, type ObjectStore } from '../../../shared/domain/ports.js';

const BUCKET = 'nma-certs';
const credentials = { accessKeyId: 'LTAI5tOssObjects', accessKeySecret: 'oss-objects-secret' };

let dataDir: string;
let oss: OssServer;
let store: ObjectStore;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'nma-'));
  oss = await startOssServer({ dataDir, faults: new FaultInjector(), credentials: [credentials], buckets: [BUCKET] });
  store = createOssObjectStore({ endpoint: oss.endpoint, bucket: BUCKET, credentials, region: 'cn-hangzhou' });
});

afterAll(async () => {
  await oss.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** ali-oss as a user would configure it against the emulator: path style on a localhost endpoint. */
function rawClient(options: { authorizationV4?: boolean } = {}): OSS {
  return new OSS({
    endpoint: oss.endpoint,
    bucket: BUCKET,
    ...credentials,
    sldEnable: true,
    ...options,
  } as OSS.Options);
}

async function listAll(prefix: string, maxKeys: number, delimiter?: string) {
  const pages: Array<{ keys: string[]; commonPrefixes: string[] }> = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, maxKeys, delimiter, continuationToken });
    pages.push({ keys: page.keys, commonPrefixes: page.commonPrefixes });
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
  return pages;
}

describe('objects through the ObjectStore adapter', () => {
  it('puts, gets, heads and deletes an object', async () => {
    // prepare
    const key = 'records/cc-abcdefghijklmnopqrst.json';
    // act
    await store.put(key, JSON.stringify({ id: 'cc-abcdefghijklmnopqrst' }), { contentType: 'application/json' });
    const body = await store.get(key);
    const existed = await store.exists(key);
    await store.delete(key);
    // assess
    expect(JSON.parse(body!.toString())).toEqual({ id: 'cc-abcdefghijklmnopqrst' });
    expect(existed).toBe(true);
    expect(await store.exists(key)).toBe(false);
    expect(await store.get(key)).toBeNull();
  });

  it('deletes an absent key without error (OSS answers 204)', async () => {
    await expect(store.delete('records/never-written.json')).resolves.toBeUndefined();
  });

  it('records a private ACL and AES256 server-side encryption on every write', async () => {
    await store.put('bundles/cc-1/g1/client.p12', Buffer.from([0x30, 0x82, 0x01]));
    expect(oss.getObjectMeta(BUCKET, 'bundles/cc-1/g1/client.p12')).toMatchObject({
      acl: 'private',
      serverSideEncryption: 'AES256',
      size: 3,
    });
  });

  it('refuses a create-only write on an existing key with ObjectExistsError and keeps the first body', async () => {
    // prepare
    await store.put('pending/cc-dup.json', 'first', { ifAbsent: true });
    // act
    const second = store.put('pending/cc-dup.json', 'second', { ifAbsent: true });
    // assess
    await expect(second).rejects.toBeInstanceOf(ObjectExistsError);
    expect((await store.get('pending/cc-dup.json'))!.toString()).toBe('first');
  });

  it('lets exactly one of many concurrent create-only writes win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.put('pending/cc-race.json', `writer-${i}`, { ifAbsent: true })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ObjectExistsError)).toHaveLength(7);
  });

  it('overwrites when the write is not create-only', async () => {
    await store.put('records/cc-over.json', 'v1');
    await store.put('records/cc-over.json', 'v2');
    expect((await store.get('records/cc-over.json'))!.toString()).toBe('v2');
  });
});

describe('the OSS wire answers seen by ali-oss', () => {
  it('answers GetObject of a missing key with 404 NoSuchKey and an OSS request id', async () => {
    const err = (await rawClient()
      .get('records/missing.json')
      .catch((e: unknown) => e)) as { status: number; code: string; requestId: string };
    expect(err).toMatchObject({ status: 404, code: 'NoSuchKey' });
    expect(err.requestId).toMatch(/^[0-9A-F]{24}$/);
  });

  it('answers HeadObject with the object headers OSS sends', async () => {
    await rawClient().put('records/head.json', Buffer.from('{}'), {
      headers: { 'x-oss-server-side-encryption': 'AES256' },
    });
    const head = await rawClient().head('records/head.json');
    expect(head.status).toBe(200);
    expect(head.res.headers).toMatchObject({
      'content-length': '2',
      'content-type': 'application/json',
      etag: '"99914B932BD37A50B983C5E7C90AE93B"',
      'x-oss-server-side-encryption': 'AES256',
      'x-oss-object-type': 'Normal',
    });
  });

  it('answers a create-only PutObject on an existing key with 409 FileAlreadyExists', async () => {
    oss.putObjectDirect(BUCKET, 'records/taken.json', 'first');
    const err = await rawClient()
      .put('records/taken.json', Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, code: 'FileAlreadyExists' });
  });

  it('refuses an unknown ACL value with 400 InvalidArgument', async () => {
    const err = await rawClient()
      .put('records/acl.json', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'everyone' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('answers 404 NoSuchBucket for a bucket it does not have', async () => {
    const other = new OSS({
      endpoint: oss.endpoint,
      bucket: 'no-such-bucket',
      ...credentials,
      sldEnable: true,
    } as OSS.Options);
    await expect(other.get('x')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
  });

  it.each([
    ['path style on localhost (sldEnable)', () => oss.endpoint, true],
    ['path style on 127.0.0.1 (sldEnable)', () => oss.endpoint.replace('localhost', '127.0.0.1'), true],
    [
      'virtual-hosted style on 127.0.0.1 (bucket in the Host header)',
      () => oss.endpoint.replace('localhost', '127.0.0.1'),
      false,
    ],
  ])('finds the bucket and key with %s', async (_style, endpoint, sldEnable) => {
    oss.putObjectDirect(BUCKET, 'records/addressing.json', 'found');
    const client = new OSS({ endpoint: endpoint(), bucket: BUCKET, ...credentials, sldEnable } as OSS.Options);
    expect((await client.get('records/addressing.json')).content.toString()).toBe('found');
  });

  it('lets the adapter take a 127.0.0.1 endpoint, links included', async () => {
    const viaIp = createOssObjectStore({
      endpoint: oss.endpoint.replace('localhost', '127.0.0.1'),
      bucket: BUCKET,
      credentials,
      region: 'cn-hangzhou',
    });
    await viaIp.put('records/via-ip.json', 'ip');
    const url = await viaIp.signedGetUrl('records/via-ip.json', { expiresInSeconds: 60, filename: 'via-ip.json' });
    expect(await (await fetch(url)).text()).toBe('ip');
  });

  it('serves the same objects to V1- and V4-signed clients', async () => {
    await rawClient({ authorizationV4: false }).put('records/both ways+ü.json', Buffer.from('v1'));
    const got = await rawClient({ authorizationV4: true }).get('records/both ways+ü.json');
    expect(got.content.toString()).toBe('v1');
  });
});

describe('ListObjectsV2', () => {
  beforeAll(() => {
    for (let t = 1; t <= 5; t++)
      for (const id of ['a', 'b']) oss.putObjectDirect(BUCKET, `index/renew/00000000000${t}/cc-${id}${t}`, '');
    oss.putObjectDirect(BUCKET, 'index/other', '');
  });

  it('pages through a prefix with continuation tokens, each key exactly once and in order', async () => {
    const pages = await listAll('index/renew/', 3);
    const keys = pages.flatMap((p) => p.keys);
    expect(pages.map((p) => p.keys.length)).toEqual([3, 3, 3, 1]);
    expect(keys).toHaveLength(10);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(10);
  });

  it('rolls keys up into common prefixes with a delimiter, counting them toward max-keys', async () => {
    const pages = await listAll('index/renew/', 2, '/');
    expect(pages.map((p) => p.commonPrefixes)).toEqual([
      ['index/renew/000000000001/', 'index/renew/000000000002/'],
      ['index/renew/000000000003/', 'index/renew/000000000004/'],
      ['index/renew/000000000005/'],
    ]);
    expect(pages.flatMap((p) => p.keys)).toEqual([]);
  });

  it('mixes keys and common prefixes under one prefix', async () => {
    const page = await store.list({ prefix: 'index/', delimiter: '/' });
    expect(page).toEqual({
      keys: ['index/other'],
      etags: ['D41D8CD98F00B204E9800998ECF8427E'], // the MD5 of an empty object
      commonPrefixes: ['index/renew/'],
    });
  });

  it('starts after a given key', async () => {
    const page = await store.list({ prefix: 'index/renew/', startAfter: 'index/renew/000000000004/cc-b4' });
    expect(page.keys).toEqual(['index/renew/000000000005/cc-a5', 'index/renew/000000000005/cc-b5']);
    expect(page.nextContinuationToken).toBeUndefined();
  });

  it('answers with the fields ali-oss reads (KeyCount, IsTruncated, NextContinuationToken)', async () => {
    const result = await rawClient().listV2({ prefix: 'index/renew/', 'max-keys': 4 });
    expect(result.keyCount).toBe(4);
    expect(result.isTruncated).toBe(true);
    expect(result.nextContinuationToken).toEqual(expect.any(String));
    expect(result.objects[0]).toMatchObject({
      name: 'index/renew/000000000001/cc-a1',
      size: 0,
      etag: '"D41D8CD98F00B204E9800998ECF8427E"',
    });
  });

  it('refuses max-keys above 1000 and a forged continuation token with 400 InvalidArgument', async () => {
    await expect(rawClient().listV2({ 'max-keys': 1001 })).rejects.toMatchObject({
      status: 400,
      code: 'InvalidArgument',
    });
    await expect(rawClient().listV2({ 'max-keys': 10, 'continuation-token': 'not*a*token' })).rejects.toMatchObject({
      status: 400,
      code: 'InvalidArgument',
    });
  });

  it('lists one page out of 20,000 seeded keys and counts a prefix without listing it', async () => {
    // prepare: seeding goes straight to the store, as the renewal benchmark does
    for (let i = 0; i < 20_000; i++)
      oss.putObjectDirect(BUCKET, `fleet/records/cc-${String(i).padStart(6, '0')}.json`, '{}');
    // act
    const page = await store.list({ prefix: 'fleet/records/cc-0123', maxKeys: 5 });
    // assess
    expect(page.keys).toEqual([0, 1, 2, 3, 4].map((i) => `fleet/records/cc-01230${i}.json`));
    expect(oss.objectCount(BUCKET, 'fleet/records/')).toBe(20_000);
    expect(oss.objectCount(BUCKET, 'fleet/records/cc-0123')).toBe(100);
  });
});

describe('persistence', () => {
  it('compacts a data dir full of overwritten objects on restart and keeps the latest bodies', async () => {
    // prepare: 12,000 overwrites of two keys leave almost only dead bytes and journal lines behind
    const dir = mkdtempSync(path.join(tmpdir(), 'nma-'));
    const first = await startOssServer({
      dataDir: dir,
      faults: new FaultInjector(),
      credentials: [credentials],
      buckets: [BUCKET],
    });
    for (let i = 0; i < 6_000; i++) {
      first.putObjectDirect(BUCKET, 'records/hot.json', `{"version":${i}}`);
      first.putObjectDirect(BUCKET, 'records/cold.json', 'x'.repeat(1000));
    }
    await first.close();
    const sizeBefore = statSync(path.join(dir, BUCKET, 'objects.dat')).size;
    // act
    const second = await startOssServer({
      dataDir: dir,
      faults: new FaultInjector(),
      credentials: [credentials],
      buckets: [BUCKET],
    });
    const after = createOssObjectStore({
      endpoint: second.endpoint,
      bucket: BUCKET,
      credentials,
      region: 'cn-hangzhou',
    });
    try {
      // assess
      expect((await after.get('records/hot.json'))!.toString()).toBe('{"version":5999}');
      expect((await after.get('records/cold.json'))!.length).toBe(1000);
      expect(second.objectCount(BUCKET)).toBe(2);
      expect(statSync(path.join(dir, BUCKET, 'objects.dat')).size).toBeLessThan(sizeBefore / 100);
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps objects, metadata and deletions in its data dir across a restart', async () => {
    // prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'nma-'));
    const first = await startOssServer({
      dataDir: dir,
      faults: new FaultInjector(),
      credentials: [credentials],
      buckets: [BUCKET],
    });
    const before = createOssObjectStore({
      endpoint: first.endpoint,
      bucket: BUCKET,
      credentials,
      region: 'cn-hangzhou',
    });
    await before.put('records/kept.json', '{"kept":true}');
    await before.put('records/gone.json', 'x');
    await before.delete('records/gone.json');
    await first.close();
    // act
    const second = await startOssServer({
      dataDir: dir,
      faults: new FaultInjector(),
      credentials: [credentials],
      buckets: [BUCKET],
    });
    const after = createOssObjectStore({
      endpoint: second.endpoint,
      bucket: BUCKET,
      credentials,
      region: 'cn-hangzhou',
    });
    try {
      // assess
      expect((await after.get('records/kept.json'))!.toString()).toBe('{"kept":true}');
      expect(await after.exists('records/gone.json')).toBe(false);
      expect(second.getObjectMeta(BUCKET, 'records/kept.json')).toMatchObject({
        acl: 'private',
        serverSideEncryption: 'AES256',
      });
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
