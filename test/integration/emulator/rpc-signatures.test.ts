import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { signAcs3 } from '../../../local/emulator/signature.js';
import { createRpcCaller } from '../../../shared/alibaba/rpc.js';
import { NLB_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

interface Forwarded {
  headers: IncomingHttpHeaders;
  body: Buffer;
  path: string;
}

/** A man in the middle: forwards each request to the emulator after `tamper`, `times` times (a replay when > 1). */
async function startProxy(
  targetPort: number,
  tamper: (r: Forwarded) => Forwarded,
  times = 1,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const send = (r: Forwarded) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const { 'transfer-encoding': _chunked, ...headers } = r.headers; // the body is re-sent whole, with a length
      const out = request(
        {
          host: '127.0.0.1',
          port: targetPort,
          method: 'POST',
          path: r.path,
          headers: { ...headers, 'content-length': String(r.body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      out.on('error', reject);
      out.end(r.body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const forwarded = tamper({ headers: { ...req.headers }, body: Buffer.concat(chunks), path: req.url ?? '/' });
      let answer = await send(forwarded);
      for (let i = 1; i < times; i++) answer = await send(forwarded);
      res.writeHead(answer.status, { 'content-type': String(answer.headers['content-type']) });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('ACS3-HMAC-SHA256 signatures on the emulated RPC endpoint', () => {
  let emulator: Emulator;
  let rpcPort: number;
  let listenerId: string;
  let otherListenerId: string;
  const sts = {
    accessKeyId: 'STS.NTestKeyForEmulator',
    accessKeySecret: 'sts-secret-value',
    securityToken: 'CAIS-test-security-token',
  };
  const proxies: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    emulator = await startEmulator({
      dataPlane: false,
      caKeyAlgorithm: 'ECC_256',
      credentials: [{ accessKeyId: 'LTAIEmulatorSignTest01', accessKeySecret: 'the-real-secret' }, sts],
    });
    rpcPort = Number(emulator.rpcEndpoint.split(':')[1]);
    listenerId = emulator.listeners[0].listenerId;
    otherListenerId = emulator.listeners[1].listenerId;
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(() => emulator.close());

  const callVia = async (tamper: (r: Forwarded) => Forwarded, times = 1) => {
    const proxy = await startProxy(rpcPort, tamper, times);
    proxies.push(proxy);
    const nlb = createRpcCaller(NLB_VERSION, { endpoint: proxy.endpoint, protocol: 'http' }, emulator.credentials);
    return nlb<{ ListenerId: string }>('GetListenerAttribute', { ListenerId: listenerId });
  };

  it('accepts what the SDK signs, also through an honest proxy', async () => {
    const direct = await rpcClient(emulator, NLB_VERSION)<{ ListenerId: string }>('GetListenerAttribute', {
      ListenerId: listenerId,
    });
    const proxied = await callVia((r) => r);
    expect([direct.ListenerId, proxied.ListenerId]).toEqual([listenerId, listenerId]);
  });

  it('a parameter changed on the way answers 400 SignatureDoesNotMatch', async () => {
    const err = await rpcFailure(
      callVia((r) => ({
        ...r,
        body: Buffer.from(
          r.body.toString().replace(encodeURIComponent(listenerId), encodeURIComponent(otherListenerId)),
        ),
      })),
    );
    expect([err.code, err.statusCode]).toEqual(['SignatureDoesNotMatch', 400]);
  });

  it('a changed action header answers SignatureDoesNotMatch', async () => {
    const err = await rpcFailure(
      callVia((r) => ({ ...r, headers: { ...r.headers, 'x-acs-action': 'ListListeners' } })),
    );
    expect(err.code).toBe('SignatureDoesNotMatch');
  });

  it('a query parameter added on the way answers SignatureDoesNotMatch', async () => {
    const err = await rpcFailure(callVia((r) => ({ ...r, path: `${r.path}?RegionId=cn-shanghai` })));
    expect(err.code).toBe('SignatureDoesNotMatch');
  });

  it('a replayed request answers SignatureNonceUsed', async () => {
    const err = await rpcFailure(callVia((r) => r, 2));
    expect([err.code, err.statusCode]).toEqual(['SignatureNonceUsed', 400]);
  });

  it('a wrong secret answers 400 SignatureDoesNotMatch', async () => {
    const err = await rpcFailure(
      rpcClient(emulator, NLB_VERSION, { credentials: { ...emulator.credentials, accessKeySecret: 'wrong-secret' } })(
        'GetListenerAttribute',
        { ListenerId: listenerId },
      ),
    );
    expect([err.code, err.statusCode]).toEqual(['SignatureDoesNotMatch', 400]);
    expect(err.message).not.toContain('the-real-secret');
  });

  it('an unknown AccessKeyId answers 404 InvalidAccessKeyId.NotFound', async () => {
    const err = await rpcFailure(
      rpcClient(emulator, NLB_VERSION, { credentials: { accessKeyId: 'LTAIUnknown', accessKeySecret: 'x' } })(
        'GetListenerAttribute',
        { ListenerId: listenerId },
      ),
    );
    expect([err.code, err.statusCode]).toEqual(['InvalidAccessKeyId.NotFound', 404]);
  });

  it('an STS key works with its security token and is refused without it or with another one', async () => {
    const call = (securityToken?: string) =>
      rpcClient(emulator, NLB_VERSION, { credentials: { ...sts, securityToken } })<{ ListenerId: string }>(
        'GetListenerAttribute',
        { ListenerId: listenerId },
      );
    const ok = await call(sts.securityToken);
    const missing = await rpcFailure(call(undefined));
    const wrong = await rpcFailure(call('CAIS-another-token'));
    expect(ok.ListenerId).toBe(listenerId);
    expect([missing.code, wrong.code]).toEqual([
      'InvalidSecurityToken.MismatchWithAccessKey',
      'InvalidSecurityToken.MismatchWithAccessKey',
    ]);
  });

  it('a request without Authorization, or signed 20 minutes ago, is refused', async () => {
    const url = `http://${emulator.rpcEndpoint}/`;
    const body = `ListenerId=${listenerId}`;
    const base = {
      host: emulator.rpcEndpoint,
      'content-type': 'application/x-www-form-urlencoded',
      'x-acs-action': 'GetListenerAttribute',
      'x-acs-version': NLB_VERSION,
    };
    const unsigned = await fetch(url, { method: 'POST', headers: base, body });
    const old = {
      ...base,
      'x-acs-date': new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      'x-acs-signature-nonce': 'n-old-1',
    };
    const authorization = signAcs3(
      { method: 'POST', path: '/', query: '', headers: old, body: Buffer.from(body) },
      emulator.credentials,
    );
    const stale = await fetch(url, { method: 'POST', headers: { ...old, authorization }, body });
    expect([unsigned.status, ((await unsigned.json()) as { Code: string }).Code]).toEqual([
      400,
      'MissingAuthorization',
    ]);
    expect([stale.status, ((await stale.json()) as { Code: string }).Code]).toEqual([400, 'InvalidTimeStamp.Expired']);
  });
});
