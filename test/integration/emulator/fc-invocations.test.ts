// The emulated FC 3.0 InvokeFunction API through the generic signed client (as contracts/fc-2023-03-30 has it) and our AsyncInvoker:
// async invocations are accepted with 202 and run in the background with bounded concurrency and FC-style
// retries; sync ones answer with the function's result; signatures, unknown functions and faults as FC answers.
import { Readable } from 'node:stream';
import * as OpenApiNs from '@alicloud/openapi-client';
import { FaultInjector, Faults } from '../../../local/emulator/faults.js';
import { startFcServer, type FcServer } from '../../../local/emulator/fc/server.js';
import { cjsModule } from '../../../shared/alibaba/cjs.js';
import { createFcAsyncInvoker } from '../../../shared/alibaba/fc-invoker.js';
import { NO_RETRY, RpcError } from '../../../shared/alibaba/rpc.js';
import { signAcs3 } from '../../../local/emulator/signature.js';
import { createHash, randomUUID } from 'node:crypto';

const openApi = cjsModule<typeof import('@alicloud/openapi-client')>(OpenApiNs);
const credentials = { accessKeyId: 'LTAI5tFc', accessKeySecret: 'fc-secret' };

let server: FcServer;
let faults: FaultInjector;

beforeEach(async () => {
  faults = new FaultInjector();
  server = await startFcServer({ faults, credentials: [credentials] });
});

afterEach(async () => {
  await server.close();
});

function invoker(secret = credentials.accessKeySecret, readTimeoutMs = 2000) {
  return createFcAsyncInvoker({
    endpoint: { endpoint: server.endpoint.replace('http://', ''), protocol: 'http', readTimeoutMs },
    credentials: { ...credentials, accessKeySecret: secret },
    region: 'cn-hangzhou',
    accountId: '1234567890',
  });
}

/** A signed InvokeFunction of our own, for what the AsyncInvoker port hides (status codes, headers, sync answers). */
async function sdkInvoke(functionName: string, payload: string, invocationType: 'Sync' | 'Async') {
  const client = new openApi.default(
    new openApi.Config({
      ...credentials,
      endpoint: server.endpoint.replace('http://', ''),
      protocol: 'http',
      regionId: 'cn-hangzhou',
    }),
  );
  const res = (await client.callApi(
    new openApi.Params({
      action: 'InvokeFunction',
      version: '2023-03-30',
      protocol: 'HTTPS',
      pathname: `/2023-03-30/functions/${encodeURIComponent(functionName)}/invocations`,
      method: 'POST',
      authType: 'AK',
      style: 'ROA',
      reqBodyType: 'json',
      bodyType: 'binary',
    }),
    new openApi.OpenApiRequest({
      headers: { 'x-fc-invocation-type': invocationType },
      stream: Readable.from([Buffer.from(payload)]),
    }),
    NO_RETRY,
  )) as { statusCode: number; headers?: Record<string, string>; body: AsyncIterable<Buffer> };
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  return { statusCode: res.statusCode, headers: res.headers ?? {}, body: Buffer.concat(chunks).toString() };
}

/** A promise the test resolves by hand, so ordering is asserted without timing. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('async invocations', () => {
  it('answers 202 with a request id, then runs the function with the payload as a Buffer', async () => {
    // prepare
    const events: unknown[] = [];
    server.register('renew-worker', async (event) => {
      events.push(JSON.parse(event.toString('utf8')));
    });
    // act
    const answer = await sdkInvoke('renew-worker', JSON.stringify({ ids: ['cc-1'] }), 'Async');
    await invoker().invokeAsync('renew-worker', { ids: ['cc-2', 'cc-3'] });
    await server.idle();
    // assess
    expect(answer.statusCode).toBe(202);
    expect(answer.headers['x-fc-request-id']).toMatch(/^1-[0-9a-f]+-[0-9a-f]{24}$/);
    expect(events).toEqual([{ ids: ['cc-1'] }, { ids: ['cc-2', 'cc-3'] }]);
    expect(server.invocations('renew-worker')).toBe(2);
  });

  it('resolves idle() only when queued work has finished', async () => {
    // prepare
    const release = gate();
    let finished = false;
    server.register('slow', async () => {
      await release.opened;
      finished = true;
    });
    await invoker().invokeAsync('slow', {});
    let idle = false;
    const idlePromise = server.idle().then(() => (idle = true));
    // act
    await new Promise((resolve) => setImmediate(resolve));
    const idleBeforeRelease = idle;
    release.open();
    await idlePromise;
    // assess
    expect(idleBeforeRelease).toBe(false);
    expect(finished).toBe(true);
  });

  it('retries a failing function maxAsyncRetryAttempts times, then records it as failed', async () => {
    // prepare
    server.register(
      'always-fails',
      async () => {
        throw new Error('CAS unavailable');
      },
      { maxAsyncRetryAttempts: 2, retryDelayMs: 5 },
    );
    // act
    await invoker().invokeAsync('always-fails', { id: 'cc-9' });
    await server.idle();
    // assess
    expect(server.executions('always-fails')).toBe(3);
    expect(server.failedInvocations()).toEqual([
      { functionName: 'always-fails', payload: '{"id":"cc-9"}', error: 'Error: CAS unavailable', attempts: 3 },
    ]);
  });

  it('does not record an invocation that succeeds on a retry', async () => {
    let runs = 0;
    server.register(
      'flaky',
      async () => {
        runs += 1;
        if (runs < 3) throw new Error(`transient ${runs}`);
      },
      { retryDelayMs: 5 },
    );
    await invoker().invokeAsync('flaky', {});
    await server.idle();
    expect(runs).toBe(3);
    expect(server.failedInvocations()).toEqual([]);
  });

  it('runs at most 4 invocations at once and all of them eventually', async () => {
    // prepare
    const release = gate();
    let active = 0;
    let peak = 0;
    let done = 0;
    server.register('batch', async () => {
      active += 1;
      peak = Math.max(peak, active);
      await release.opened;
      active -= 1;
      done += 1;
    });
    // act
    for (let i = 0; i < 10; i++) await invoker().invokeAsync('batch', { batch: i });
    await new Promise((resolve) => setImmediate(resolve));
    const activeWhileBlocked = active;
    release.open();
    await server.idle();
    // assess
    expect(activeWhileBlocked).toBe(4);
    expect(peak).toBe(4);
    expect(done).toBe(10);
  });

  it('refuses an async payload over 128 KB with 400 EntityTooLarge', async () => {
    server.register('renew-worker', async () => undefined);
    const err = await invoker()
      .invokeAsync('renew-worker', { blob: 'x'.repeat(130 * 1024) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EntityTooLarge', statusCode: 400 });
    expect(server.invocations()).toBe(0);
  });
});

describe('sync invocations', () => {
  it('answers 200 with what the function returned', async () => {
    server.register('echo', async (event) => ({ echoed: JSON.parse(event.toString()) }));
    const answer = await sdkInvoke('echo', '{"n":1}', 'Sync');
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ echoed: { n: 1 } });
  });

  it('answers 200 with x-fc-error-type when the function throws', async () => {
    server.register('broken', async () => {
      throw new TypeError('bad event');
    });
    const answer = await sdkInvoke('broken', '{}', 'Sync');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(answer.body)).toEqual({ errorMessage: 'bad event', errorType: 'TypeError' });
  });
});

describe('refusals and faults', () => {
  it('answers 404 FunctionNotFound for a function that is not registered', async () => {
    const err = await invoker()
      .invokeAsync('no-such-function', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'FunctionNotFound', statusCode: 404, requestId: expect.stringMatching(/^1-/) });
  });

  it('refuses a request signed with a wrong secret with 403 SignatureNotMatch and runs nothing', async () => {
    let ran = false;
    server.register('renew-worker', async () => {
      ran = true;
    });
    const err = await invoker('not-the-secret')
      .invokeAsync('renew-worker', {})
      .catch((e: unknown) => e);
    await server.idle();
    expect(err).toMatchObject({ code: 'SignatureNotMatch', statusCode: 403 });
    expect(ran).toBe(false);
  });

  /** A request signed by hand as the SDK signs it, so the test can replay it or change it after signing. */
  function handSigned(functionName: string, body: string) {
    const host = server.endpoint.replace('http://', '');
    const headers: Record<string, string> = {
      host,
      'content-type': 'application/octet-stream',
      'x-acs-action': 'InvokeFunction',
      'x-acs-version': '2023-03-30',
      'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-signature-nonce': randomUUID(),
      'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
      'x-fc-invocation-type': 'Async',
    };
    const path = `/2023-03-30/functions/${functionName}/invocations`;
    headers.authorization = signAcs3(
      { method: 'POST', path, query: '', headers, body: Buffer.from(body) },
      credentials,
    );
    const send = (sentPath = path) => fetch(`${server.endpoint}${sentPath}`, { method: 'POST', headers, body });
    return { send };
  }

  it('refuses a request replayed with the same signature nonce with 400 SignatureNonceUsed', async () => {
    server.register('renew-worker', async () => undefined);
    const request = handSigned('renew-worker', '{"ids":["cc-1"]}');
    const first = await request.send();
    const replay = await request.send();
    expect(first.status).toBe(202);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ Code: 'SignatureNonceUsed' });
    expect(server.invocations('renew-worker')).toBe(1);
  });

  it('refuses a request sent to another function than the one signed with 403 SignatureNotMatch', async () => {
    server.register('renew-worker', async () => undefined);
    server.register('cert-api', async () => undefined);
    const answer = await handSigned('renew-worker', '{}').send('/2023-03-30/functions/cert-api/invocations');
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ Code: 'SignatureNotMatch' });
    expect(server.invocations()).toBe(0);
  });

  it('fails the next InvokeFunction with an injected error, then accepts the retry', async () => {
    // prepare
    server.register('renew-worker', async () => undefined);
    faults.failNext('InvokeFunction', 1, Faults.throttling());
    // act
    const first = await invoker()
      .invokeAsync('renew-worker', {})
      .catch((e: unknown) => e);
    await invoker().invokeAsync('renew-worker', {});
    // assess
    expect(first).toMatchObject({ code: 'Throttling', statusCode: 400 });
    expect(faults.count('InvokeFunction')).toBe(2);
    expect(server.invocations('renew-worker')).toBe(1);
  });

  it('reports a dropped connection as NetworkError and a delay beyond the read timeout as RequestTimeout', async () => {
    server.register('renew-worker', async () => undefined);
    faults.failNext('InvokeFunction', 1, Faults.drop());
    faults.failNext('InvokeFunction', 1, Faults.delay(1000));
    const dropped = await invoker()
      .invokeAsync('renew-worker', {})
      .catch((e: unknown) => e);
    const delayed = await invoker(credentials.accessKeySecret, 300)
      .invokeAsync('renew-worker', {})
      .catch((e: unknown) => e);
    expect(dropped).toMatchObject({ name: 'RpcError', code: 'NetworkError', statusCode: undefined });
    expect(delayed).toMatchObject({ name: 'RpcError', code: 'RequestTimeout', statusCode: undefined });
  });
});
