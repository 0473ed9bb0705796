import { createCertificateService } from '../../../shared/certificates/service.js';
import { IssueRequestSchema, RenewRequestSchema } from '../../../shared/certificates/schemas.js';
import { systemPrincipal, type TokenPrincipal } from '../../../shared/auth/principal.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import type { CertificateAuthority } from '../../../shared/domain/ports.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { checkWebhookUrl } from '../../../shared/notify/webhook-url.js';
import {
  createCertificateAuthority,
  generateKeyPair,
  signClientCertificate,
  parseCsr,
} from '../../../shared/pki/index.js';
import { createFakeCa, ManualClock, MemoryObjectStore, type FakeCa } from './fakes.js';

const DAY = 86_400_000;
const lines: string[] = [];
setLogSink((line) => lines.push(line));

const principal: TokenPrincipal = {
  kind: 'token',
  tenant: 'acme',
  name: 'ci',
  policy: {
    commonNamePatterns: ['*.example.com'],
    sanPatterns: { dns: [], uri: [], email: [], ip: [] },
    keyAlgorithms: ['EC_P256'],
    maxValidityDays: 90,
    operations: ['issue', 'read', 'links', 'renew', 'revoke'],
    allowWildcardNames: false,
  },
};
const renewer = systemPrincipal('renew-worker');

let ca: FakeCa;
beforeAll(async () => {
  ca = await createFakeCa();
});

function setup(options: { ca?: CertificateAuthority; allowLoopbackWebhooks?: boolean } = {}) {
  const store = new MemoryObjectStore();
  const clock = new ManualClock();
  const service = createCertificateService({
    ca: options.ca ?? ca,
    store,
    clock,
    sleep: clock.sleep,
    log: createLogger({ fn: 'test' }),
    config: {
      parentIdentifier: 'sub',
      stateKey: Buffer.alloc(32, 9),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 3600,
      defaultValidityDays: 30,
      maxValidityDays: 397,
      allowLoopbackWebhooks: options.allowLoopbackWebhooks,
    },
  });
  return { store, clock, service };
}

const request = (extra: Record<string, unknown> = {}) =>
  IssueRequestSchema.parse({ commonName: 'n1.example.com', keyAlgorithm: 'EC_P256', ...extra });

describe('renew', () => {
  it('two renewals racing for the same generation make exactly one new certificate', async () => {
    // prepare
    const { service, store } = setup();
    const issued = await service.issue(principal, request());
    const before = ca.issuedCount();
    // act
    const [a, b] = await Promise.all([
      service.renew(renewer, issued.id, { trigger: 'schedule', expectedGeneration: 1 }),
      service.renew(renewer, issued.id, { trigger: 'schedule', expectedGeneration: 1 }),
    ]);
    // assess
    expect(ca.issuedCount()).toBe(before + 1);
    expect(a.serialNumber).toBe(b.serialNumber);
    expect(a.generation).toBe(2);
    expect(store.keys('pending/')).toEqual([]);
    expect(store.json<ClientCertificate>(`records/${issued.id}.json`).previous).toHaveLength(1);
  });

  it('a crashed renewal is finished by the sweep with the same key and certificate', async () => {
    // prepare: the record write of the renewal fails
    const { service, store } = setup();
    const issued = await service.issue(principal, request());
    store.failOnce('put', 0, (key) => key.startsWith('records/'));
    await expect(
      service.renew(renewer, issued.id, { trigger: 'schedule', expectedGeneration: 1 }),
    ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    const before = ca.issuedCount();
    // act
    const finished = await service.finishPending(renewer, issued.id);
    const nothing = await service.finishPending(renewer, issued.id);
    // assess
    expect(finished).toMatchObject({ id: issued.id, generation: 2 });
    expect(finished?.p12Password).toBeTruthy();
    expect(nothing).toBeUndefined();
    expect(ca.issuedCount()).toBe(before);
    expect(store.json<ClientCertificate>(`records/${issued.id}.json`).current.serialNumber).toBe(
      finished!.serialNumber,
    );
  });

  it('refuses a renewal of a superseded generation, and a token principal cannot finish pending work', async () => {
    // prepare
    const { service } = setup();
    const issued = await service.issue(principal, request());
    await service.renew(principal, issued.id, { trigger: 'api' });
    // act + assess
    await expect(
      service.renew(renewer, issued.id, { trigger: 'schedule', expectedGeneration: 1 }),
    ).rejects.toMatchObject({ code: 'RENEWAL_SUPERSEDED', status: 409 });
    await expect(service.finishPending(principal, issued.id)).rejects.toMatchObject({ status: 403 });
  });

  it('moves the renewal index to the new generation and keeps one key per certificate', async () => {
    // prepare
    const { service, store, clock } = setup();
    const issued = await service.issue(principal, request({ validityDays: 30 }));
    const firstKey = store.keys('index/renew/');
    clock.advance(21 * DAY);
    // act
    await service.renew(renewer, issued.id, { trigger: 'schedule' });
    // assess
    const secondKey = store.keys('index/renew/');
    expect(firstKey).toHaveLength(1);
    expect(secondKey).toHaveLength(1);
    expect(secondKey[0] > firstKey[0]).toBe(true);
    const record = store.json<ClientCertificate>(`records/${issued.id}.json`);
    expect(record.renewal).toMatchObject({ failedAttempts: 0, expiringNotified: [] });
    expect(record.renewal.lastRenewedAt).toBe(clock.now().toISOString());
  });

  it('resubmits the stored CSR on a scheduled renewal of a CSR-mode certificate', async () => {
    // prepare
    const { service } = setup();
    const keyPair = await generateKeyPair('EC_P256');
    const { buildCsr } = await import('../../../shared/pki/index.js');
    const csr = await buildCsr({ keyPair, commonName: 'csr.example.com' });
    const issued = await service.issue(
      principal,
      request({ commonName: 'csr.example.com', keyAlgorithm: undefined, csr }),
    );
    // act
    const renewed = await service.renew(renewer, issued.id, { trigger: 'schedule' });
    const refused = service.renew(principal, issued.id, { trigger: 'api' });
    // assess
    expect(renewed).toMatchObject({ generation: 2, mode: 'csr' });
    expect(renewed.p12Password).toBeUndefined();
    await expect(refused).rejects.toMatchObject({ code: 'CSR_REQUIRED' });
  });
});

describe('revoke', () => {
  it('revokes every live generation in the CA and takes the certificate off the renewal index', async () => {
    // prepare
    const { service, store } = setup();
    const issued = await service.issue(principal, request());
    const renewed = await service.renew(principal, issued.id, { trigger: 'api' });
    // act
    const view = await service.revoke(principal, issued.id, 'superseded');
    // assess
    expect(view.status).toBe('REVOKED');
    const record = store.json<ClientCertificate>(`records/${issued.id}.json`);
    expect(ca.revoked.has(record.current.casIdentifier)).toBe(true);
    expect(ca.revoked.has(record.previous[0].casIdentifier)).toBe(true);
    expect(store.keys('index/renew/')).toEqual([]);
    expect(store.keys(`bundles/${issued.id}/`)).toEqual([]);
    expect(renewed.generation).toBe(2);
  });

  it('a revoke that failed half-way is finished by repeating it', async () => {
    // prepare
    const { service, store } = setup();
    const issued = await service.issue(principal, request());
    store.failOnce('delete', 0, (key) => key.startsWith('bundles/'));
    await expect(service.revoke(principal, issued.id)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    // act
    const view = await service.revoke(principal, issued.id);
    // assess
    expect(view.status).toBe('REVOKED');
    expect(store.keys(`bundles/${issued.id}/`)).toEqual([]);
  });
});

describe('CSR-mode renewals refuse what only server-key mode uses', () => {
  it.each([
    ['p12Password without a csr', false],
    ['p12Password with a new csr', true],
  ])('refuses %s as issue does, and issues nothing', async (_name, withCsr) => {
    // prepare
    const { service } = setup();
    const { buildCsr } = await import('../../../shared/pki/index.js');
    const csr = async () => buildCsr({ keyPair: await generateKeyPair('EC_P256'), commonName: 'csr4.example.com' });
    const issued = await service.issue(
      principal,
      request({ commonName: 'csr4.example.com', keyAlgorithm: undefined, csr: await csr() }),
    );
    const before = ca.calls.issueWithCsr;
    const onIssue = IssueRequestSchema.safeParse({
      commonName: 'csr4.example.com',
      csr: 'x',
      p12Password: 'Correct-Horse-42',
    });
    // act
    const refused = service.renew(principal, issued.id, {
      trigger: 'api',
      p12Password: 'Correct-Horse-42',
      ...(withCsr ? { csrPem: await csr() } : {}),
    });
    // assess
    const issueIssue = onIssue.success ? undefined : onIssue.error.issues[0];
    await expect(refused).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      details: { issues: [{ path: 'p12Password', message: issueIssue?.message }] },
    });
    expect(ca.calls.issueWithCsr).toBe(before);
  });

  it('refuses p12Password next to a csr in the renew body itself', () => {
    // prepare
    const body = { csr: 'x', p12Password: 'Correct-Horse-42' };
    // act
    const parsed = RenewRequestSchema.safeParse(body);
    // assess
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))).toEqual(['p12Password']);
  });
});

describe('SANs are kept as the certificate carries them', () => {
  it.each([
    ['2001:DB8:0::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['10.1.2.3', '10.1.2.3'],
  ])('stores and answers the IP SAN %s as %s', async (sent, canonical) => {
    // prepare
    const { service } = setup();
    const ipPrincipal: TokenPrincipal = {
      ...principal,
      policy: { ...principal.policy, sanPatterns: { ...principal.policy.sanPatterns, ip: ['0.0.0.0/0', '::/0'] } },
    };
    // act
    const issued = await service.issue(ipPrincipal, request({ commonName: 'ip6.example.com', sans: { ip: [sent] } }));
    const read = await service.get(ipPrincipal, issued.id);
    // assess
    expect(issued.sans.ip).toEqual([canonical]);
    expect(read.sans.ip).toEqual([canonical]);
  });
});

describe('checks before anything is issued', () => {
  it.each([
    ['an http webhook', { notify: { webhookUrl: 'http://hooks.example.com/x' } }, 'WEBHOOK_URL_INSECURE'],
    ['a loopback webhook when not allowed', { notify: { webhookUrl: 'https://127.0.0.1/x' } }, 'WEBHOOK_URL_FORBIDDEN'],
    ['a webhook on a private address', { notify: { webhookUrl: 'https://10.1.2.3/x' } }, 'WEBHOOK_URL_FORBIDDEN'],
    [
      'a webhook with credentials',
      { notify: { webhookUrl: 'https://u:p@hooks.example.com/x' } },
      'WEBHOOK_URL_INVALID',
    ],
    ['renewBeforeDays not below validityDays', { validityDays: 10, renewBeforeDays: 10 }, 'VALIDATION_FAILED'],
    ['a CSR naming someone else', { keyAlgorithm: undefined, csr: 'OTHER' }, 'CSR_NAME_MISMATCH'],
  ])('refuses %s', async (_name, extra, code) => {
    // prepare
    const { service } = setup();
    const before = ca.calls.issueWithCsr;
    let body = request(extra);
    if (body.csr === 'OTHER') {
      const { buildCsr } = await import('../../../shared/pki/index.js');
      body = {
        ...body,
        csr: await buildCsr({ keyPair: await generateKeyPair('EC_P256'), commonName: 'someone.example.com' }),
      };
    }
    // act + assess
    await expect(service.issue(principal, body)).rejects.toMatchObject({ code });
    expect(ca.calls.issueWithCsr).toBe(before);
  });

  // Issue time and delivery time apply one rule: a URL the webhook sender would refuse is refused with a 400 when the
  // certificate is requested (not found out later, when a renewal's event cannot be sent).
  it.each<[string, boolean, string | undefined]>([
    // webhook URL, loopback allowed (local runner), the code both refuse it with (undefined: both accept it)
    ['https://hooks.example.com/certs', false, undefined],
    ['https://hooks.example.com:8443/certs?team=a', false, undefined],
    ['https://172.32.0.1/hook', false, undefined],
    ['https://10.0.0.5/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://172.16.0.1/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://192.168.0.10/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://169.254.169.254/latest/meta-data', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://100.100.100.200/latest/meta-data', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://0x0a000001/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://[fd12::1]/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://[::ffff:10.0.0.1]/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://localhost/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://10.0.0.5/hook', true, 'WEBHOOK_URL_FORBIDDEN'],
    ['http://127.0.0.1:9999/hook', false, 'WEBHOOK_URL_INSECURE'],
    ['http://127.0.0.1:9999/hook', true, undefined],
    ['http://10.0.0.5/hook', true, 'WEBHOOK_URL_INSECURE'],
    ['ftp://hooks.example.com/certs', false, 'WEBHOOK_URL_INSECURE'],
    ['https://u:p@hooks.example.com/certs', false, 'WEBHOOK_URL_INVALID'],
    ['hooks.example.com/certs', false, 'WEBHOOK_URL_INVALID'],
  ])(
    'webhook %s (loopback allowed: %s): issue and sender agree on %s',
    async (webhookUrl, allowLoopbackWebhooks, code) => {
      // prepare
      const { service } = setup({ allowLoopbackWebhooks });
      const before = ca.calls.issueWithCsr;
      let senderCode: string | undefined;
      try {
        checkWebhookUrl(webhookUrl, { allowLoopback: allowLoopbackWebhooks });
      } catch (err) {
        senderCode = (err as { code?: string }).code;
      }
      // act
      const answer = await service.issue(principal, request({ notify: { webhookUrl } })).then(
        () => ({ code: undefined, status: undefined }),
        (err: { code?: string; status?: number }) => ({ code: err.code, status: err.status }),
      );
      // assess
      expect(answer).toEqual(code ? { code, status: 400 } : { code: undefined, status: undefined });
      expect(senderCode).toBe(code);
      if (code) expect(ca.calls.issueWithCsr).toBe(before);
    },
  );

  it('accepts a loopback http webhook when the local runner allows it', async () => {
    const { service } = setup({ allowLoopbackWebhooks: true });
    await expect(
      service.issue(principal, request({ notify: { webhookUrl: 'http://127.0.0.1:9999/hook' } })),
    ).resolves.toMatchObject({ notify: { webhookUrl: 'http://127.0.0.1:9999/hook' } });
  });

  it('refuses a validity that would outlive the issuing CA', async () => {
    // prepare: a sub-CA ending in 10 days
    const root = await createCertificateAuthority({
      commonName: 'Short Root',
      notAfter: new Date(Date.now() + 365 * DAY),
    });
    const shortSub = await createCertificateAuthority({
      commonName: 'Short Sub',
      issuer: root,
      notAfter: new Date(Date.now() + 10 * DAY),
    });
    const shortCa: CertificateAuthority = {
      ...ca,
      getCaCertificate: async (id) => ({ ...(await ca.getCaCertificate(id)), certificatePem: shortSub.certificatePem }),
    };
    const { service } = setup({ ca: shortCa });
    // act + assess
    await expect(service.issue(principal, request({ validityDays: 30 }))).rejects.toMatchObject({
      code: 'VALIDITY_EXCEEDS_CA',
      status: 400,
    });
  });
});

describe('what the CA returns is checked', () => {
  it('rejects a certificate for another key, revokes it and keeps nothing', async () => {
    // prepare: a CA that certifies a different key than the CSR's
    const liar: CertificateAuthority = {
      ...ca,
      async issueWithCsr(req) {
        const other = await generateKeyPair('EC_P256');
        const csr = await parseCsr(req.csrPem);
        const certificatePem = await signClientCertificate({
          publicKey: other.publicKey,
          commonName: csr.commonName,
          notBefore: req.notBefore,
          notAfter: req.notAfter,
          issuer: ca.subCa,
        });
        return { identifier: 'liar-1', serialNumber: '01', certificatePem, chainPems: [ca.subCa.certificatePem] };
      },
    };
    const { service, store } = setup({ ca: liar });
    const revokedBefore = ca.calls.revoke;
    // act
    const outcome = service.issue(principal, request());
    // assess
    await expect(outcome).rejects.toMatchObject({
      code: 'ISSUED_CERTIFICATE_REJECTED',
      details: { check: 'publicKey' },
    });
    expect(ca.calls.revoke).toBe(revokedBefore + 1);
    expect(store.keys('records/')).toEqual([]);
    expect(store.keys('pending/')).toEqual([]);
  });
});

describe('reads', () => {
  it('another tenant sees 404; the record and its view hold no secret', async () => {
    // prepare
    const { service, store } = setup();
    const issued = await service.issue(principal, request());
    const stranger: TokenPrincipal = { ...principal, tenant: 'other' };
    // act
    const mine = await service.get(principal, issued.id);
    // assess
    await expect(service.get(stranger, issued.id)).rejects.toMatchObject({ status: 404 });
    await expect(service.links(stranger, issued.id)).rejects.toMatchObject({ status: 404 });
    expect(JSON.stringify(mine)).not.toContain(issued.p12Password!);
    expect(store.objects.get(`records/${issued.id}.json`)!.toString()).not.toContain(issued.p12Password!);
    expect((mine as unknown as Record<string, unknown>).downloads).toBeUndefined();
  });

  it('shows EXPIRED once notAfter has passed, and filters on it', async () => {
    // prepare
    const { service, clock } = setup();
    const issued = await service.issue(principal, request({ validityDays: 1 }));
    clock.advance(2 * DAY);
    // act
    const view = await service.get(principal, issued.id);
    const expired = await service.list(principal, { status: 'EXPIRED' });
    const active = await service.list(principal, { status: 'ACTIVE' });
    // assess
    expect(view.status).toBe('EXPIRED');
    expect(expired.items.map((i) => i.id)).toEqual([issued.id]);
    expect(active.items).toEqual([]);
  });
});
