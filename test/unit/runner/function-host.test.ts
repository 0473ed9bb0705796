// One local function instance: module resolution from s.yaml, env given to createHandler once, Buffer events,
// FC context, and the function's timeout.
import { join } from 'node:path';
import {
  functionSpec,
  loadLocalFunction,
  toEventBuffer,
  withTimeout,
  FunctionTimeoutError,
} from '../../../local/runner/function-host.js';
import { buildFunctionEnv, unresolvedVariables } from '../../../local/runner/local-env.js';
import type { FcFunctionProps } from '../../../local/s-yaml.js';

const fixtures = join(process.cwd(), 'test/unit/runner/fixtures');
const props = (over: Partial<FcFunctionProps> = {}): FcFunctionProps => ({
  region: 'cn-hangzhou',
  functionName: 'fixture-echo',
  runtime: 'nodejs20',
  code: './dist/echo',
  handler: 'index.handler',
  memorySize: 256,
  timeout: 1,
  ...over,
});
const runtime = {
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
  credentials: { accessKeyId: 'AK', accessKeySecret: 'SK', securityToken: '' },
  sink: () => undefined,
};

describe('functionSpec', () => {
  it('maps code ./dist/<fn> and handler <file>.<export> to the TypeScript source', () => {
    const spec = functionSpec('echo', props(), fixtures);
    expect(spec.modulePath).toBe(join(fixtures, 'functions/echo/index.ts'));
    expect(spec.exportName).toBe('handler');
    expect(spec.functionName).toBe('fixture-echo');
  });

  it.each([
    ['a code path outside dist', props({ code: './src' })],
    ['a handler without export', props({ handler: 'index' })],
    ['a path in the handler', props({ handler: '../x.handler' })],
  ])('refuses %s', (_name, p) => {
    expect(() => functionSpec('echo', p, fixtures)).toThrow(/s\.yaml echo/);
  });
});

describe('toEventBuffer', () => {
  it.each([
    ['a Buffer as is', Buffer.from('x'), 'x'],
    ['a string as UTF-8', 'héllo', 'héllo'],
    ['an object as JSON', { a: 1 }, '{"a":1}'],
    ['nothing as empty', undefined, ''],
  ])('sends %s', (_name, input, expected) => {
    expect(toEventBuffer(input).toString('utf8')).toBe(expected);
  });
});

describe('withTimeout', () => {
  it('passes the result through', async () => {
    await expect(withTimeout(Promise.resolve(42), 1, 'f')).resolves.toBe(42);
  });
  it('passes errors through', async () => {
    await expect(withTimeout(Promise.reject(new Error('nope')), 1, 'f')).rejects.toThrow('nope');
  });
  it('rejects with FunctionTimeoutError when the work outlives the timeout', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 0.01, 'slow-fn')).rejects.toBeInstanceOf(FunctionTimeoutError);
  });
});

describe('buildFunctionEnv', () => {
  it('layers s.yaml < FC runtime < emulator < local < overrides, dropping unresolved ${env()} values', () => {
    // Prepare
    const spec = functionSpec(
      'echo',
      props({
        environmentVariables: {
          LOG_LEVEL: 'info',
          REGION: 'cn-x',
          STATE_KEY: '<STATE_KEY>',
          API_TOKENS: '<API_TOKENS>',
        },
      }),
      fixtures,
    );
    // Act
    const env = buildFunctionEnv({
      spec,
      accountId: '1234567890123456',
      emulator: { REGION: 'cn-hangzhou', OSS_BUCKET: 'b' },
      local: { STATE_KEY: 'k' },
      overrides: { LOG_LEVEL: 'debug' },
    });
    // Assess
    expect(env).toEqual({
      LOG_LEVEL: 'debug',
      REGION: 'cn-hangzhou',
      OSS_BUCKET: 'b',
      STATE_KEY: 'k',
      FC_FUNCTION_NAME: 'fixture-echo',
      FC_FUNCTION_HANDLER: 'index.handler',
      FC_FUNCTION_MEMORY_SIZE: '256',
      FC_REGION: 'cn-hangzhou',
      FC_ACCOUNT_ID: '1234567890123456',
    });
    expect(unresolvedVariables(spec.props.environmentVariables)).toEqual(['STATE_KEY', 'API_TOKENS']);
  });
});

describe('loadLocalFunction', () => {
  it('builds the handler from the env it is given and invokes it with a Buffer and an FC context', async () => {
    // Prepare
    const fn = await loadLocalFunction(
      functionSpec('echo', props(), fixtures),
      { GREETING: 'hi', STATE_KEY: 's' },
      runtime,
    );
    // Act
    const result = (await fn.invoke({ hello: 'world' }, { requestId: 'req-1' })) as Record<string, any>;
    // Assess
    expect(result).toEqual({
      eventIsBuffer: true,
      event: { hello: 'world' },
      built: { greeting: 'hi', stateKeySet: true },
      context: {
        requestId: 'req-1',
        region: 'cn-hangzhou',
        accountId: '1234567890123456',
        accessKeyId: 'AK',
        function: { name: 'fixture-echo', handler: 'index.handler', memory: 256, timeout: 1 },
      },
    });
  });

  it('serves a module that only exports handler', async () => {
    const fn = await loadLocalFunction(functionSpec('plain', props({ code: './dist/plain' }), fixtures), {}, runtime);
    await expect(fn.invoke({})).resolves.toBe('plain ok');
  });

  it('a handler error rejects the invocation', async () => {
    const fn = await loadLocalFunction(functionSpec('echo', props(), fixtures), {}, runtime);
    await expect(fn.invoke({ fail: 'kaput' })).rejects.toThrow('kaput');
  });

  it('enforces the function timeout from s.yaml', async () => {
    // Prepare: timeout 1 s, the handler sleeps 1.5 s
    const fn = await loadLocalFunction(functionSpec('echo', props({ timeout: 1 }), fixtures), {}, runtime);
    // Act / Assess
    await expect(fn.invoke({ sleepMs: 1500 })).rejects.toBeInstanceOf(FunctionTimeoutError);
    await fn.settled();
    expect(fn.inFlight()).toBe(0);
  });
});
