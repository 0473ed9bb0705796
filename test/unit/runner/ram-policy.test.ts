// One RAM role per function (deploy/ram-policies/<function>.json), each granting exactly what that function's code
// calls: the actions are found by reading every source file the function's entry point imports (transitively), so
// the internet-facing cert-api, which imports no NLB client, can never be granted UpdateListenerAttribute.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';

const root = process.cwd();
const FUNCTIONS = ['cert-api', 'renew-scheduler', 'renew-worker', 'reconcile-listeners'] as const;

/** Every .ts file reachable from `entry` through relative imports (static and dynamic). */
function importGraph(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [join(root, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = join(dirname(file), m[1]).replace(/\.js$/, '.ts');
      if (existsSync(target)) stack.push(target);
    }
  }
  return [...seen].map((f) => relative(root, f));
}

const RPC_ACTION = /['"]((?:Create|Describe|Get|List|Update|Upload|Delete)[A-Z][A-Za-z]+)['"]/g;
// ali-oss client methods -> the RAM actions they need (a write with an ACL header also needs PutObjectAcl).
const OSS_METHODS: Array<[RegExp, string[]]> = [
  [/client\.put\(/, ['oss:PutObject', 'oss:PutObjectAcl']],
  [/client\.(get|head)\(/, ['oss:GetObject']],
  [/client\.delete\(/, ['oss:DeleteObject']],
  [/client\.(listV2|list)\(/, ['oss:ListObjects']],
  [/signatureUrlV4|signatureUrl\(/, ['oss:GetObject']],
];
// The published CAS 2020-04-07 SDK is called by method name.
const CAS_SDK_METHODS: Array<[RegExp, string]> = [
  [/\.getUserCertificateDetail\(/, 'yundun-cert:GetUserCertificateDetail'],
];

/** The RAM actions a function needs, found by reading the code it loads. */
function actionsCalledBy(fn: string): Set<string> {
  const needed = new Set<string>();
  for (const file of importGraph(`functions/${fn}/index.ts`)) {
    const text = readFileSync(join(root, file), 'utf8');
    // Which product a file's quoted action names belong to: the API version of the caller it builds.
    const product = text.includes("'2022-04-30'")
      ? 'nlb'
      : /'2020-06-30'|'2020-04-07'|cas20200630|createRpcCaller\('2020/.test(text)
        ? 'yundun-cert'
        : text.includes("'2016-01-20'")
          ? 'kms'
          : undefined;
    if (product) for (const m of text.matchAll(RPC_ACTION)) needed.add(`${product}:${m[1]}`);
    if (/from 'ali-oss'/.test(text))
      for (const [re, actions] of OSS_METHODS) if (re.test(text)) actions.forEach((a) => needed.add(a));
    for (const [re, action] of CAS_SDK_METHODS) if (re.test(text)) needed.add(action);
    // FC 3.0 InvokeFunction, through its SDK or through the signed caller with its API version.
    if (/invokeFunctionWithOptions\(/.test(text) || (/'2023-03-30'/.test(text) && /'InvokeFunction'/.test(text)))
      needed.add('fc:InvokeFunction');
  }
  return needed;
}

interface Policy {
  Version: string;
  Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[] }>;
}
const policyOf = (fn: string): Policy =>
  JSON.parse(readFileSync(join(root, 'deploy/ram-policies', `${fn}.json`), 'utf8')) as Policy;
const resourcesOf = (policy: Policy, action: string) =>
  policy.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => [s.Resource].flat());

// Not API calls of ours: FC itself writes logs with the role, and delivers renew-worker's failed async
// invocations to its MNS queue with it (FC result-callback docs).
const FOR_THE_RUNTIME: Record<string, string[]> = {
  'cert-api': ['log:PostLogStoreLogs'],
  'renew-scheduler': ['log:PostLogStoreLogs'],
  'renew-worker': ['log:PostLogStoreLogs', 'mns:SendMessage'],
  'reconcile-listeners': ['log:PostLogStoreLogs'],
};

describe.each(FUNCTIONS)('deploy/ram-policies/%s.json', (fn) => {
  const policy = policyOf(fn);
  const granted = new Set(policy.Statement.flatMap((s) => s.Action));

  it('is a RAM policy document of Allow statements', () => {
    expect(policy.Version).toBe('1');
    for (const s of policy.Statement) {
      expect(s.Effect).toBe('Allow');
      expect(s.Action.length).toBeGreaterThan(0);
      expect(s.Resource).toBeTruthy();
    }
  });

  it('grants exactly what the function calls (and what FC does with its role)', () => {
    const needed = actionsCalledBy(fn);
    expect(needed.size).toBeGreaterThan(2); // the scan finds the adapters; an empty scan would prove nothing
    expect([...granted].sort()).toEqual([...new Set([...needed, ...FOR_THE_RUNTIME[fn]])].sort());
  });

  it('scopes OSS to the bucket, and secrets to the ones the function reads', () => {
    expect(resourcesOf(policy, 'oss:GetObject')).toEqual(['acs:oss:*:<account-id>:<bucket>/*']);
    expect(resourcesOf(policy, 'oss:ListObjects')).toEqual(['acs:oss:*:<account-id>:<bucket>']);
    for (const r of resourcesOf(policy, 'kms:GetSecretValue'))
      expect(r).toMatch(/^acs:kms:<region>:<account-id>:secret\/nlb-mtls\/[a-z-]+$/);
  });
});

describe('roles', () => {
  it('only the scheduler may invoke (the renew worker), only reconcile-listeners may touch NLB', () => {
    for (const fn of FUNCTIONS) {
      const actions = policyOf(fn).Statement.flatMap((s) => s.Action);
      expect({ fn, nlb: actions.some((a) => a.startsWith('nlb:')) }).toEqual({ fn, nlb: fn === 'reconcile-listeners' });
      expect({ fn, fc: actions.includes('fc:InvokeFunction') }).toEqual({ fn, fc: fn === 'renew-scheduler' });
    }
    expect(resourcesOf(policyOf('renew-scheduler'), 'fc:InvokeFunction')).toEqual([
      'acs:fc:<region>:<account-id>:functions/nlb-mtls-renew-worker',
    ]);
  });

  it('each secret is readable by exactly the functions that use it', () => {
    const readers = (secret: string) =>
      FUNCTIONS.filter((fn) => resourcesOf(policyOf(fn), 'kms:GetSecretValue').some((r) => r.endsWith(secret)));
    expect(readers('/api-tokens')).toEqual(['cert-api']);
    expect(readers('/webhook-master-key')).toEqual(['cert-api', 'renew-worker']);
    expect(readers('/state-key')).toEqual(['cert-api', 'renew-worker', 'reconcile-listeners']);
  });

  it('s.yaml gives each function its own role and its secrets by name only', () => {
    const doc = parseYaml(readFileSync(join(root, 's.yaml'), 'utf8')) as {
      resources: Record<string, { props: { role?: string; environmentVariables?: Record<string, string> } }>;
    };
    const roles = FUNCTIONS.map((fn) => doc.resources[fn].props.role);
    expect(new Set(roles).size).toBe(FUNCTIONS.length);
    for (const fn of FUNCTIONS) {
      const env = doc.resources[fn].props.environmentVariables ?? {};
      for (const secret of ['API_TOKENS', 'STATE_KEY', 'WEBHOOK_MASTER_KEY', 'WEBHOOK_SIGNING_SECRET'])
        expect({ fn, secret, value: env[secret] }).toEqual({ fn, secret, value: undefined });
    }
    expect(readdirSync(join(root, 'deploy/ram-policies')).sort()).toEqual(FUNCTIONS.map((f) => `${f}.json`).sort());
  });
});
