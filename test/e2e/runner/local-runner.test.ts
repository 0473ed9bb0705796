// The local runner over real HTTP, with the emulator, serving the fixture functions of test/unit/runner/fixtures:
// HTTP trigger events and answers, the function timeout, the control endpoint (invoke, CloudEvents, timers), and
// FC async invocations signed by the real SDK client reaching the function.
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { createFcAsyncInvoker } from '../../../shared/alibaba/fc-invoker.js';
import { parseEndpoint } from '../../../shared/config/alibaba.js';

const sYamlPath = join(process.cwd(), 'test/unit/runner/fixtures/s.yaml');

describe('local runner (fixture functions)', () => {
  let stack: LocalStack;
  const logs: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ sYamlPath, log: (line) => logs.push(line), emulatorOptions: { dataPlane: false } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const control = (path: string, init: RequestInit = {}) =>
    fetch(stack.controlUrl + path, {
      method: 'POST',
      ...init,
      headers: { authorization: `Bearer ${stack.devToken}`, ...(init.headers ?? {}) },
    });

  it('turns an HTTP request into the FC v1 event and the structured answer back into HTTP', async () => {
    // Act
    const res = await fetch(`${stack.httpUrls.echo}/v1/things/%2e%2e%2fx?b=2&b=3`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
      body: JSON.stringify({ hello: 'world' }),
    });
    const answer = (await res.json()) as Record<string, any>;
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fc-request-id')).toBe(answer.context.requestId);
    expect(answer.eventIsBuffer).toBe(true);
    expect(answer.event).toMatchObject({
      version: 'v1',
      rawPath: '/v1/things/%2e%2e%2fx',
      queryParameters: { b: '2,3' },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
      requestContext: {
        accountId: '1234567890123456',
        http: { method: 'POST', path: '/v1/things/../x', sourceIp: '127.0.0.1' },
      },
    });
    expect(answer.context.function).toEqual({
      name: 'fixture-echo',
      handler: 'index.handler',
      memory: 256,
      timeout: 1,
    });
    expect(answer.context.accessKeyId).toBe(stack.stackInfo.emulator.accessKeyId);
  });

  it('builds the handler once from s.yaml env plus local secrets (unresolved ${env()} replaced)', async () => {
    const answer = (await stack.invoke('echo', {})) as Record<string, any>;
    expect(answer.built).toEqual({ greeting: 'hello', stateKeySet: true });
    expect(stack.functionEnv.echo).toMatchObject({
      GREETING: 'hello',
      OSS_BUCKET: stack.emulator.bucket,
      PCA_PARENT_IDENTIFIER: stack.emulator.ca.subCaIdentifier,
    });
    expect(stack.functionEnv.echo.STATE_KEY).not.toBe('<FIXTURE_UNSET_STATE_KEY>');
  });

  it('refuses methods the trigger does not list', async () => {
    const res = await fetch(`${stack.httpUrls.echo}/x`, { method: 'DELETE' });
    expect(res.status).toBe(405);
  });

  it('answers 502 FunctionTimeoutError when the handler outlives the function timeout', async () => {
    // The event is the HTTP body, so sleep via a direct invoke through the control endpoint.
    const res = await control('/functions/echo/invoke', { body: JSON.stringify({ sleepMs: 1500 }) });
    expect(res.status).toBe(502);
    expect(res.headers.get('x-fc-error-type')).toBe('FunctionTimeoutError');
  });

  it("answers 502 UnhandledInvocationError with FC's error body when the handler throws", async () => {
    const res = await control('/functions/fixture-echo/invoke', { body: JSON.stringify({ fail: 'kaput' }) });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ errorMessage: 'kaput', errorType: 'Error' });
  });

  it('the control endpoint wants the dev token', async () => {
    const res = await fetch(`${stack.controlUrl}/functions/echo/invoke`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const unknown = await control('/functions/nope/invoke', { body: '{}' });
    expect(unknown.status).toBe(404);
  });

  it('delivers CloudEvents to the functions whose EventBridge pattern matches', async () => {
    // Act
    const matching = await control('/events', {
      body: JSON.stringify({ type: 'renew.requested', source: 'ops', data: { certificateId: 'cc-x' } }),
    });
    const other = await control('/events', { body: JSON.stringify({ type: 'something.else' }) });
    // Assess
    const delivered = (await matching.json()) as {
      deliveries: Array<{ functionName: string; ok: boolean; result: any }>;
    };
    expect(delivered.deliveries).toHaveLength(1);
    expect(delivered.deliveries[0]).toMatchObject({ functionName: 'fixture-echo', ok: true });
    expect(delivered.deliveries[0].result.event).toMatchObject({
      specversion: '1.0',
      type: 'renew.requested',
      data: { certificateId: 'cc-x' },
      aliyunregionid: 'cn-hangzhou',
    });
    expect(((await other.json()) as { deliveries: unknown[] }).deliveries).toEqual([]);
  });

  it('accepts binary-mode CloudEvents (ce-* headers)', async () => {
    const res = await control('/events/echo', {
      headers: {
        'ce-type': 'renew.requested',
        'ce-source': 'curl',
        'ce-id': 'evt-1',
        'ce-specversion': '1.0',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ certificateId: 'cc-y' }),
    });
    const body = (await res.json()) as { deliveries: Array<{ result: any }> };
    expect(body.deliveries[0].result.event).toMatchObject({
      id: 'evt-1',
      source: 'curl',
      data: { certificateId: 'cc-y' },
    });
  });

  it('fires a timer trigger with the FC timer event', async () => {
    const [delivery] = await stack.fireTimer('echo');
    expect(delivery.ok).toBe(true);
    expect((delivery.result as any).event).toEqual({
      triggerTime: expect.stringMatching(/Z$/),
      triggerName: 'every-minute',
      payload: '{"from":"timer"}',
    });
  });

  it('runs FC async invocations sent by the AsyncInvoker (signed InvokeFunction) to the emulator', async () => {
    // Prepare
    const creds = stack.stackInfo.emulator;
    const invoker = createFcAsyncInvoker({
      endpoint: parseEndpoint(stack.emulator.fcEndpoint, creds.region),
      credentials: { accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret },
      region: creds.region,
      accountId: '1234567890123456',
    });
    const before = stack.emulator.fc.executions('fixture-echo');
    // Act
    await invoker.invokeAsync('fixture-echo', { from: 'async' });
    await invoker.invokeAsync('fixture-echo', { fail: 'always' });
    await stack.idle();
    // Assess: one run for the good one, 1 + maxAsyncRetryAttempts (1) for the failing one, then recorded as failed
    expect(stack.emulator.fc.executions('fixture-echo') - before).toBe(3);
    const failed = stack.emulator.fc.failedInvocations();
    expect(failed).toEqual([expect.objectContaining({ functionName: 'fixture-echo', attempts: 2 })]);
  });

  it('writes function logs with the request id to the log sink', () => {
    expect(logs.some((l) => / \[INFO\] echo /.test(l))).toBe(true);
  });
});
