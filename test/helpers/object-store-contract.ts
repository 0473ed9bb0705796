/**
 * Why: the behaviour every ObjectStore must have, as one suite run against the in-memory fake (unit tests) and the
 * OSS adapter on the emulator (integration), so a unit test's fake cannot drift from what OSS does. Each test works
 * under its own key prefix, so one store (one bucket) serves the whole suite.
 */
import { ObjectExistsError, type ObjectStore } from '../../shared/domain/ports.js';

export interface ObjectStoreUnderTest {
  store: ObjectStore;
  close?: () => Promise<void>;
}

export function describeObjectStoreContract(name: string, open: () => Promise<ObjectStoreUnderTest>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let subject: ObjectStoreUnderTest;
    let store: ObjectStore;
    let n = 0;
    /** A key prefix no other test uses. */
    let p: string;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(() => subject?.close?.());
    beforeEach(() => {
      n += 1;
      p = `contract-${n}/`;
    });

    const putAll = (keys: string[]) => Promise.all(keys.map((k) => store.put(k, k)));
    /** A listing's keys and common prefixes (ETags have a test of their own). */
    const list = async (options: Parameters<ObjectStore['list']>[0]) => {
      const { etags: _etags, ...page } = await store.list(options);
      return page;
    };
    /** Every page of a listing, following the continuation token. */
    async function pages(options: { prefix: string; maxKeys?: number; delimiter?: string; startAfter?: string }) {
      const all: Array<{ keys: string[]; commonPrefixes: string[] }> = [];
      let continuationToken: string | undefined;
      do {
        const page = await store.list({ ...options, continuationToken });
        all.push({ keys: page.keys, commonPrefixes: page.commonPrefixes });
        continuationToken = page.nextContinuationToken;
      } while (continuationToken && all.length < 100);
      return all;
    }

    describe('put, get, exists, delete', () => {
      it('returns what was put: a string as its UTF-8 bytes, a Buffer byte for byte', async () => {
        const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await store.put(`${p}text.json`, '{"name":"Ünïcödé ✓"}');
        await store.put(`${p}bytes.bin`, binary, { contentType: 'application/octet-stream' });
        expect((await store.get(`${p}text.json`))?.toString('utf8')).toBe('{"name":"Ünïcödé ✓"}');
        expect(await store.get(`${p}bytes.bin`)).toEqual(binary);
      });

      it('answers null and false for a key that was never written', async () => {
        expect(await store.get(`${p}missing.json`)).toBeNull();
        expect(await store.exists(`${p}missing.json`)).toBe(false);
      });

      it('overwrites by default; an empty body is an object too', async () => {
        await store.put(`${p}a`, 'one');
        await store.put(`${p}a`, 'two');
        await store.put(`${p}empty`, '');
        expect((await store.get(`${p}a`))?.toString()).toBe('two');
        expect(await store.exists(`${p}empty`)).toBe(true);
        expect(await store.get(`${p}empty`)).toEqual(Buffer.alloc(0));
      });

      it('deletes, and deleting a missing key is not an error', async () => {
        await store.put(`${p}gone`, 'x');
        await store.delete(`${p}gone`);
        await store.delete(`${p}never-there`);
        expect([await store.exists(`${p}gone`), await store.get(`${p}gone`)]).toEqual([false, null]);
      });
    });

    describe('ifAbsent (create-only)', () => {
      it('creates an absent key', async () => {
        await store.put(`${p}new`, 'first', { ifAbsent: true });
        expect((await store.get(`${p}new`))?.toString()).toBe('first');
      });

      it('refuses an existing key with ObjectExistsError naming it, and leaves the object alone', async () => {
        await store.put(`${p}taken`, 'first');
        const err = await store.put(`${p}taken`, 'second', { ifAbsent: true }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ObjectExistsError);
        expect(err).toMatchObject({ key: `${p}taken` });
        expect((await store.get(`${p}taken`))?.toString()).toBe('first');
      });

      it('lets exactly one of several concurrent create-only writers win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => store.put(`${p}race`, `writer-${i}`, { ifAbsent: true })),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [`writer-${i}`] : []));
        const losers = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
        expect(winners).toHaveLength(1);
        expect(losers.every((e) => e instanceof ObjectExistsError)).toBe(true);
        expect((await store.get(`${p}race`))?.toString()).toBe(winners[0]);
      });

      it('creates again after a delete', async () => {
        await store.put(`${p}again`, 'one', { ifAbsent: true });
        await store.delete(`${p}again`);
        await store.put(`${p}again`, 'two', { ifAbsent: true });
        expect((await store.get(`${p}again`))?.toString()).toBe('two');
      });
    });

    describe('list', () => {
      it('lists the keys under a prefix in order, and nothing else', async () => {
        await putAll([`${p}b`, `${p}a/2`, `${p}a/1`, `${p}c`, `${p.slice(0, -1)}-sibling/x`]);
        expect(await list({ prefix: p })).toEqual({
          keys: [`${p}a/1`, `${p}a/2`, `${p}b`, `${p}c`],
          commonPrefixes: [],
        });
        expect(await list({ prefix: `${p}a/` })).toEqual({ keys: [`${p}a/1`, `${p}a/2`], commonPrefixes: [] });
        expect(await list({ prefix: `${p}none/` })).toEqual({ keys: [], commonPrefixes: [] });
      });

      it('starts strictly after startAfter', async () => {
        await putAll([`${p}1`, `${p}2`, `${p}3`]);
        expect((await store.list({ prefix: p, startAfter: `${p}2` })).keys).toEqual([`${p}3`]);
        expect((await store.list({ prefix: p, startAfter: `${p}15` })).keys).toEqual([`${p}2`, `${p}3`]);
        expect((await store.list({ prefix: p, startAfter: `${p}3` })).keys).toEqual([]);
      });

      it('groups keys below a delimiter into common prefixes', async () => {
        await putAll([`${p}top`, `${p}d1/x`, `${p}d1/y/z`, `${p}d2/x`, `${p}e`]);
        expect(await list({ prefix: p, delimiter: '/' })).toEqual({
          keys: [`${p}e`, `${p}top`],
          commonPrefixes: [`${p}d1/`, `${p}d2/`],
        });
        expect(await list({ prefix: `${p}d1/`, delimiter: '/' })).toEqual({
          keys: [`${p}d1/x`],
          commonPrefixes: [`${p}d1/y/`],
        });
      });

      it('pages with an opaque continuation token: every key once, in order, and no token on the last page', async () => {
        const keys = Array.from({ length: 23 }, (_, i) => `${p}k${String(i).padStart(2, '0')}`);
        await putAll(keys);
        const all = await pages({ prefix: p, maxKeys: 5 });
        expect(all.map((page) => page.keys.length)).toEqual([5, 5, 5, 5, 3]);
        expect(all.flatMap((page) => page.keys)).toEqual(keys);
        expect(await list({ prefix: p, maxKeys: 23 })).toEqual({ keys, commonPrefixes: [] });
      });

      it('counts keys and common prefixes together against maxKeys, and pages past a common prefix', async () => {
        await putAll([`${p}a`, `${p}b/1`, `${p}b/2`, `${p}c`, `${p}d/1`, `${p}e`]);
        const all = await pages({ prefix: p, maxKeys: 2, delimiter: '/' });
        expect(all).toEqual([
          { keys: [`${p}a`], commonPrefixes: [`${p}b/`] },
          { keys: [`${p}c`], commonPrefixes: [`${p}d/`] },
          { keys: [`${p}e`], commonPrefixes: [] },
        ]);
      });

      it('pages after startAfter too', async () => {
        await putAll([`${p}1`, `${p}2`, `${p}3`, `${p}4`, `${p}5`]);
        const all = await pages({ prefix: p, maxKeys: 2, startAfter: `${p}1` });
        expect(all.map((page) => page.keys)).toEqual([
          [`${p}2`, `${p}3`],
          [`${p}4`, `${p}5`],
        ]);
      });

      it('returns at most 100 keys when maxKeys is not given, as OSS', async () => {
        await putAll(Array.from({ length: 101 }, (_, i) => `${p}${String(i).padStart(3, '0')}`));
        const page = await store.list({ prefix: p });
        expect(page.keys).toHaveLength(100);
        expect(page.nextContinuationToken).toEqual(expect.any(String));
        expect((await store.list({ prefix: p, continuationToken: page.nextContinuationToken })).keys).toEqual([
          `${p}100`,
        ]);
      });

      it('gives each listed key its ETag: the same for the same content, another once the content changes', async () => {
        await store.put(`${p}a`, 'one');
        await store.put(`${p}b`, 'one');
        await store.put(`${p}c`, 'two');
        const before = await store.list({ prefix: p });
        await store.put(`${p}a`, 'changed');
        const after = await store.list({ prefix: p });
        expect(before.etags).toHaveLength(3);
        expect(before.etags![0]).toMatch(/^[0-9A-F]{32}$/);
        expect(before.etags![0]).toBe(before.etags![1]);
        expect(before.etags![2]).not.toBe(before.etags![0]);
        expect(after.etags![0]).not.toBe(before.etags![0]);
        expect(after.etags!.slice(1)).toEqual(before.etags!.slice(1));
      });

      it.each([0, 1001])('refuses maxKeys %i (OSS allows 1 to 1000) with InvalidArgument', async (maxKeys) => {
        await expect(store.list({ prefix: p, maxKeys })).rejects.toMatchObject({
          code: 'InvalidArgument',
          status: 400,
        });
      });

      it('refuses a continuation token it did not hand out', async () => {
        await expect(store.list({ prefix: p, continuationToken: 'not a token!' })).rejects.toMatchObject({
          code: 'InvalidArgument',
          status: 400,
        });
      });
    });

    describe('signedGetUrl', () => {
      it('is a V4 presigned GET link for the key, with its lifetime and the attachment name', async () => {
        const url = new URL(
          await store.signedGetUrl(`${p}cc-1/client.p12`, { expiresInSeconds: 300, filename: 'client.p12' }),
        );
        expect(url.protocol).toMatch(/^https?:$/);
        expect(decodeURIComponent(url.pathname)).toMatch(new RegExp(`/${p}cc-1/client\\.p12$`));
        expect(url.searchParams.get('x-oss-signature-version')).toBe('OSS4-HMAC-SHA256');
        expect(url.searchParams.get('x-oss-expires')).toBe('300');
        expect(url.searchParams.get('x-oss-date')).toMatch(/^\d{8}T\d{6}Z$/);
        expect(url.searchParams.get('x-oss-signature')).toMatch(/^[0-9a-zA-Z]{64}$/);
        expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="client.p12"');
      });

      it.each([0, 604801, 1.5])('refuses a lifetime of %f s (OSS allows 1 s to 7 days)', async (expiresInSeconds) => {
        await expect(store.signedGetUrl(`${p}x`, { expiresInSeconds, filename: 'x.p12' })).rejects.toBeInstanceOf(
          RangeError,
        );
      });

      it.each(['a b.p12', '../x.p12', 'x"y.zip', ''])('refuses the attachment name %j', async (filename) => {
        await expect(store.signedGetUrl(`${p}x`, { expiresInSeconds: 60, filename })).rejects.toBeInstanceOf(
          RangeError,
        );
      });
    });
  });
}
