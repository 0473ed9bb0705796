// Authentication of the emulated OSS: header signatures (V1 and V4), STS tokens, and presigned GET links (V1 and
// V4) fetched the way users fetch them, with curl: valid, expired, and tampered with.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { FaultInjector } from '../../../local/emulator/faults.js';
import { startOssServer, type OssServer } from '../../../local/emulator/oss/server.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { curl } from '../../helpers/tools.js';

const BUCKET = 'nma-links';
const KEY = 'bundles/cc-links/g1/client.p12';
const OTHER_KEY = 'bundles/cc-links/g1/bundle.zip';
const BODY = Buffer.from('pkcs12-bytes');
const longTerm = { accessKeyId: 'LTAI5tLongTerm', accessKeySecret: 'long-term-secret' };
const sts = { accessKeyId: 'STS.NUx7emulated', accessKeySecret: 'sts-secret', securityToken: 'CAIS-emulated-token' };

let dataDir: string;
let oss: OssServer;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'nma-'));
  oss = await startOssServer({
    dataDir,
    faults: new FaultInjector(),
    credentials: [longTerm, sts],
    buckets: [BUCKET],
    region: 'cn-hangzhou',
  });
  oss.putObjectDirect(BUCKET, KEY, BODY);
  oss.putObjectDirect(BUCKET, OTHER_KEY, 'zip-bytes');
});

afterAll(async () => {
  await oss.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(options: Partial<OSS.Options> & { urllib?: unknown } = {}): OSS {
  return new OSS({
    endpoint: oss.endpoint,
    bucket: BUCKET,
    region: 'oss-cn-hangzhou',
    ...longTerm,
    sldEnable: true,
    ...options,
  } as OSS.Options);
}

/** An ali-oss client whose requests are changed on the wire after signing, as a tampering proxy would. */
function tamperingClient(tamper: (url: string) => string, options: Partial<OSS.Options> = {}): OSS {
  const urllib = createRequire(import.meta.url)('urllib');
  return client({
    ...options,
    urllib: { request: (url: string, params: unknown) => urllib.request(tamper(url), params) },
  });
}

async function fetchWithCurl(url: string) {
  const result = await curl(['-sS', '-D', '-', '-o', '/dev/null', '-w', '', url]);
  const headerText = result.stdout;
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headerText)?.[1]);
  const header = (name: string) => new RegExp(`^${name}: (.*)\\r?$`, 'im').exec(headerText)?.[1]?.trim();
  return { status, header };
}

async function fetchError(url: string) {
  const res = await fetch(url);
  const xml = await res.text();
  return {
    status: res.status,
    code: /<Code>(.*?)<\/Code>/.exec(xml)?.[1],
    message: /<Message>(.*?)<\/Message>/.exec(xml)?.[1],
  };
}

describe('header signatures', () => {
  it.each([
    ['V1 (OSS ak:signature)', false],
    ['V4 (OSS4-HMAC-SHA256)', true],
  ])(
    'accepts a correct %s signature and refuses a wrong secret with 403 SignatureDoesNotMatch',
    async (_name, authorizationV4) => {
      await expect(client({ authorizationV4 }).head(KEY)).resolves.toMatchObject({ status: 200 });
      const err = await client({ authorizationV4, accessKeySecret: 'not-the-secret' })
        .get(KEY)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    },
  );

  it.each([
    ['V1', false],
    ['V4', true],
  ])('refuses a %s-signed request whose object key was changed after signing', async (_name, authorizationV4) => {
    const tampered = tamperingClient((url) => url.replace('/client.p12', '/bundle.zip'), { authorizationV4 });
    await expect(tampered.get(KEY)).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('refuses an unknown access key with 403 InvalidAccessKeyId', async () => {
    await expect(client({ accessKeyId: 'LTAI5tUnknown' }).get(KEY)).rejects.toMatchObject({
      status: 403,
      code: 'InvalidAccessKeyId',
    });
  });

  it('refuses an unsigned request to the private bucket with 403 AccessDenied', async () => {
    expect(await fetchError(`${oss.endpoint}/${BUCKET}/${KEY}`)).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('refuses a V4 signature scoped to another region', async () => {
    await expect(client({ authorizationV4: true, region: 'oss-cn-shanghai' }).get(KEY)).rejects.toMatchObject({
      status: 400,
      code: 'InvalidArgument',
    });
  });
});

describe('STS tokens', () => {
  it('accepts the configured token through the ObjectStore adapter, in headers and in V4 links', async () => {
    const store = createOssObjectStore({
      endpoint: oss.endpoint,
      bucket: BUCKET,
      credentials: sts,
      region: 'cn-hangzhou',
    });
    await store.put('records/sts.json', '{}');
    const url = await store.signedGetUrl('records/sts.json', { expiresInSeconds: 60, filename: 'sts.json' });
    expect(url).toContain('x-oss-security-token=');
    expect((await fetchWithCurl(url)).status).toBe(200);
  });

  it.each([
    ['a wrong token', { stsToken: 'CAIS-forged' }],
    ['no token', {}],
  ])('refuses an STS key with %s with 403 InvalidSecurityToken', async (_name, tokenOption) => {
    // refreshSTSTokenInterval only keeps ali-oss from printing its token-refresh advice.
    const stsClient = client({
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      authorizationV4: true,
      refreshSTSTokenInterval: 300_000,
      ...tokenOption,
    });
    const err = await stsClient.get(KEY).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: 'InvalidSecurityToken' });
  });
});

describe('presigned GET links', () => {
  const disposition = 'attachment; filename="client.p12"';
  const v4Link = (seconds: number) =>
    client().signatureUrlV4(
      'GET',
      seconds,
      { headers: {}, queries: { 'response-content-disposition': disposition } },
      KEY,
    );
  const v1Link = (seconds: number) =>
    client().signatureUrl(KEY, { expires: seconds, response: { 'content-disposition': disposition } });

  it('serves a V4 link from the ObjectStore adapter to curl as an attachment', async () => {
    // prepare
    const store = createOssObjectStore({
      endpoint: oss.endpoint,
      bucket: BUCKET,
      credentials: longTerm,
      region: 'cn-hangzhou',
    });
    const url = await store.signedGetUrl(KEY, { expiresInSeconds: 900, filename: 'client.p12' });
    const out = mkdtempSync(path.join(tmpdir(), 'nma-'));
    try {
      // act
      const result = await curl([
        '-sS',
        '-f',
        '-D',
        path.join(out, 'headers'),
        '-o',
        path.join(out, 'client.p12'),
        url,
      ]);
      const res = await fetch(url);
      // assess
      expect(result.code).toBe(0);
      expect(url).toContain('x-oss-signature-version=OSS4-HMAC-SHA256');
      expect(res.headers.get('content-disposition')).toBe(disposition);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(BODY);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('serves a V1 link (OSSAccessKeyId, Expires, Signature) and honours response-content-disposition', async () => {
    const url = v1Link(60);
    const res = await fetchWithCurl(url);
    expect(url).toMatch(/OSSAccessKeyId=.*Expires=\d+.*Signature=/);
    expect(res.status).toBe(200);
    expect(res.header('content-disposition')).toBe(disposition);
  });

  it('refuses V1 and V4 links once expired with 403 AccessDenied "Request has expired."', async () => {
    // prepare: links valid for one second
    const links = [await v4Link(1), v1Link(1)];
    // act
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const answers = await Promise.all(links.map(fetchError));
    // assess
    for (const answer of answers)
      expect(answer).toEqual({ status: 403, code: 'AccessDenied', message: 'Request has expired.' });
  });

  it.each([
    ['the object key', (url: string) => url.replace('/client.p12?', '/bundle.zip?')],
    ['the expiry', (url: string) => url.replace('x-oss-expires=60', 'x-oss-expires=600')],
    [
      'the signature',
      (url: string) =>
        url.replace(
          /(x-oss-signature=[0-9a-f]*)([0-9a-f])/,
          (_m, head: string, last: string) => head + (last === '0' ? '1' : '0'),
        ),
    ],
    ['the download name', (url: string) => url.replace('client.p12%22', 'evil.exe%22')],
  ])('refuses a V4 link with %s changed with 403 SignatureDoesNotMatch', async (_what, tamper) => {
    // prepare
    const url = await v4Link(60);
    const tampered = tamper(url);
    // act
    const answer = await fetchError(tampered);
    // assess
    expect(tampered).not.toBe(url);
    expect(answer).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it.each([
    ['the object key', (url: string) => url.replace('/client.p12?', '/bundle.zip?')],
    ['the expiry', (url: string) => url.replace(/Expires=(\d+)/, (_m, s: string) => `Expires=${Number(s) + 600}`)],
    ['the signature', (url: string) => url.replace(/Signature=([^&]{4})/, 'Signature=AAAA')],
  ])('refuses a V1 link with %s changed with 403 SignatureDoesNotMatch', async (_what, tamper) => {
    const url = v1Link(60);
    const tampered = tamper(url);
    expect(tampered).not.toBe(url);
    expect(await fetchError(tampered)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });
});
