// deploy/ram-policy.json grants exactly what the code calls: every Alibaba API action found in the adapters and
// functions is allowed, and nothing is allowed that no code calls.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
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

/** The RAM actions the code needs, found by reading it. */
function actionsCalledByCode(): Set<string> {
  const needed = new Set<string>();
  for (const file of [...sources('shared'), ...sources('functions')]) {
    const text = readFileSync(join(root, file), 'utf8');
    // Which product a file's quoted action names belong to: the API version of the caller it builds.
    const product = text.includes("'2022-04-30'")
      ? 'nlb'
      : /'2020-06-30'|'2020-04-07'|cas20200630|createRpcCaller\('2020/.test(text)
        ? 'yundun-cert'
        : undefined;
    if (product) for (const m of text.matchAll(RPC_ACTION)) needed.add(`${product}:${m[1]}`);
    if (/from 'ali-oss'/.test(text))
      for (const [re, actions] of OSS_METHODS) if (re.test(text)) actions.forEach((a) => needed.add(a));
    if (/'2023-03-30'/.test(text) && /'InvokeFunction'/.test(text)) needed.add('fc:InvokeFunction');
  }
  return needed;
}

describe('deploy/ram-policy.json', () => {
  const policy = JSON.parse(readFileSync(join(root, 'deploy/ram-policy.json'), 'utf8')) as {
    Version: string;
    Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[] }>;
  };
  const granted = new Set(policy.Statement.flatMap((s) => s.Action));
  // Not API calls of ours: FC itself writes the functions' logs with the role, and sends a renew-worker batch that
  // failed every attempt to the MNS queue of its async failure destination with the role (D4).
  const forTheRuntime = new Set(['log:PostLogStoreLogs', 'mns:SendMessage']);

  it('is a RAM policy document of Allow statements', () => {
    expect(policy.Version).toBe('1');
    for (const s of policy.Statement) {
      expect(s.Effect).toBe('Allow');
      expect(s.Action.length).toBeGreaterThan(0);
      expect(s.Resource).toBeTruthy();
    }
  });

  it('allows every action the code calls', () => {
    const needed = actionsCalledByCode();
    expect(needed.size).toBeGreaterThan(5); // the scan finds the adapters; an empty scan would prove nothing
    expect([...needed].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it('allows nothing the code does not call', () => {
    const needed = actionsCalledByCode();
    expect([...granted].filter((a) => !needed.has(a) && !forTheRuntime.has(a)).sort()).toEqual([]);
  });

  it("grants mns:SendMessage on the queue of renew-worker's failure destination (s.yaml)", () => {
    const sYaml = readFileSync(join(root, 's.yaml'), 'utf8');
    const mns = policy.Statement.find((s) => s.Action.includes('mns:SendMessage'));

    expect(sYaml).toMatch(/destination: acs:mns:\$\{vars\.region\}::\/queues\/\$\{vars\.renewFailureQueue\}\/messages/);
    expect(mns?.Resource).toBe('acs:mns:<region>:<account-id>:/queues/<renew-failure-queue>/messages');
  });

  it('scopes OSS to the bucket and FC to the renew worker', () => {
    const resourcesOf = (action: string) =>
      policy.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => [s.Resource].flat());
    expect(resourcesOf('oss:GetObject')).toEqual(['acs:oss:*:<account-id>:<bucket>/*']);
    expect(resourcesOf('oss:ListObjects')).toEqual(['acs:oss:*:<account-id>:<bucket>']);
    expect(resourcesOf('fc:InvokeFunction')).toEqual(['acs:fc:<region>:<account-id>:functions/nlb-mtls-renew-worker']);
  });
});
