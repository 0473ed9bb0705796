/**
 * Where doctor looks: the running local stack (`npm start`, found through .local/stack.json) or, with --cloud, the
 * account in the environment. Outside FC the credentials come from ALIBABA_CLOUD_* or else @alicloud/credentials'
 * default chain (profile, ECS role, OIDC), which is where that chain belongs.
 */
import * as CredentialsNs from '@alicloud/credentials';
import OSS from 'ali-oss';
import { join } from 'node:path';
import { cjsModule } from '../../shared/alibaba/cjs.js';
import { toCredentialSource } from '../../shared/alibaba/credentials.js';
import type { AlibabaCredentials } from '../../shared/alibaba/rpc.js';
import { casEndpointFor, parseEndpoint } from '../../shared/config/alibaba.js';
import { readDesiredState } from '../../functions/reconcile-listeners/deps.js';
import { loadSYaml } from '../s-yaml.js';
import { readEventBus } from '../runner/event-bus.js';
import type { StackInfo } from '../stack.js';
import { PROJECT_ROOT } from '../runner/stack-file.js';
import type { DoctorTarget } from './checks.js';

function timers(): DoctorTarget['timers'] {
  const doc = loadSYaml(join(PROJECT_ROOT, 's.yaml'), {});
  return Object.values(doc.resources).flatMap((r) =>
    (r.props.triggers ?? [])
      .filter((t) => t.triggerType === 'timer')
      .map((t) => ({
        functionName: r.props.functionName,
        triggerName: t.triggerName,
        cronExpression: String(t.triggerConfig?.cronExpression ?? ''),
      })),
  );
}

function eventBus(env: NodeJS.ProcessEnv): DoctorTarget['eventBus'] {
  const bus = readEventBus(PROJECT_ROOT);
  const functions = new Set(
    Object.values(loadSYaml(join(PROJECT_ROOT, 's.yaml'), {}).resources).map((r) => r.props.functionName),
  );
  return {
    name: env.EVENT_BUS_NAME || bus?.eventBusName || 'nlb-mtls-autopilot',
    rules: (bus?.rules ?? []).map((r) => r.ruleName),
    routedLocally: Boolean(bus && bus.rules.every((r) => functions.has(r.functionName))),
  };
}

function ossReader(options: {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: AlibabaCredentials;
  local: boolean;
}) {
  return async () => {
    const client = new OSS({
      endpoint: options.endpoint,
      bucket: options.bucket,
      region: `oss-${options.region}`,
      accessKeyId: options.credentials.accessKeyId,
      accessKeySecret: options.credentials.accessKeySecret,
      stsToken: options.credentials.securityToken,
      ...(options.credentials.securityToken ? { refreshSTSTokenInterval: 300_000 } : {}),
      authorizationV4: true,
      secure: options.endpoint.startsWith('https://'),
      ...(options.local ? { sldEnable: true } : {}),
    } as OSS.Options);
    const listing = await client.listV2({ prefix: 'records/', 'max-keys': 1 }, {});
    const key = listing.objects?.[0]?.name;
    if (!key) return {};
    const head = await client.head(key);
    const headers = (head.res as unknown as { headers: Record<string, string> }).headers;
    return { key, encryption: headers['x-oss-server-side-encryption'] };
  };
}

export function localTarget(stack: StackInfo, env: NodeJS.ProcessEnv): DoctorTarget {
  const e = stack.emulator;
  const rpc = parseEndpoint(`http://${e.rpcEndpoint}`, e.region);
  const credentials = { accessKeyId: e.accessKeyId, accessKeySecret: e.accessKeySecret };
  const ossEndpoint = e.ossEndpoint.replace('//127.0.0.1', '//localhost');
  return {
    mode: 'local',
    region: e.region,
    credentials: toCredentialSource(credentials),
    cas: rpc,
    nlb: rpc,
    fc: { ...parseEndpoint(e.fcEndpoint, e.region), accountId: 'local' },
    oss: { endpoint: ossEndpoint, bucket: e.bucket },
    parentIdentifier: stack.ca.subCaIdentifier,
    listenerIds: stack.listeners.map((l) => l.listenerId),
    eventBus: eventBus(env),
    timers: timers(),
    objectUrl: (key) => `${ossEndpoint}/${e.bucket}/${key}`,
    listObjectKey: ossReader({ endpoint: ossEndpoint, bucket: e.bucket, region: e.region, credentials, local: true }),
  };
}

async function cloudCredentials(env: NodeJS.ProcessEnv): Promise<AlibabaCredentials> {
  if (env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) {
    return {
      accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
      accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
      ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
    };
  }
  const { default: Credential } = cjsModule<{
    default: new () => {
      getCredential(): Promise<{ accessKeyId: string; accessKeySecret: string; securityToken?: string }>;
    };
  }>(CredentialsNs);
  const c = await new Credential().getCredential();
  return {
    accessKeyId: c.accessKeyId,
    accessKeySecret: c.accessKeySecret,
    ...(c.securityToken ? { securityToken: c.securityToken } : {}),
  };
}

export async function cloudTarget(env: NodeJS.ProcessEnv): Promise<DoctorTarget> {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`${name} is required with --cloud (docs/cloud-fidelity.md)`);
    return v;
  };
  const region = env.REGION || env.FC_REGION || 'cn-hangzhou';
  const bucket = need('OSS_BUCKET');
  const accountId = need('FC_ACCOUNT_ID');
  const credentials = await cloudCredentials(env);
  const desired = readDesiredState(env.DESIRED_STATE_FILE || 'config/listeners.yaml', PROJECT_ROOT);
  const ossEndpoint = env.OSS_ENDPOINT || `https://oss-${region}.aliyuncs.com`;
  return {
    mode: 'cloud',
    region,
    credentials: toCredentialSource(credentials),
    cas: parseEndpoint(env.CAS_ENDPOINT || casEndpointFor(region), region),
    nlb: parseEndpoint(env.NLB_ENDPOINT || `nlb.${region}.aliyuncs.com`, region),
    fc: { ...parseEndpoint(env.FC_ENDPOINT || `${accountId}.${region}.fc.aliyuncs.com`, region), accountId },
    // The EventBridge SDK names no endpoint of its own (EndpointRule ""): ASSUMED, set EVENTBRIDGE_ENDPOINT if it differs.
    eventBridge: parseEndpoint(env.EVENTBRIDGE_ENDPOINT || `eventbridge-console.${region}.aliyuncs.com`, region),
    oss: { endpoint: ossEndpoint, bucket },
    parentIdentifier: need('PCA_PARENT_IDENTIFIER'),
    listenerIds: desired.listeners.filter((l) => l.region === region).map((l) => l.listenerId),
    eventBus: eventBus(env),
    timers: timers(),
    objectUrl: (key) => `https://${bucket}.oss-${region}.aliyuncs.com/${key}`,
    listObjectKey: ossReader({ endpoint: ossEndpoint, bucket, region, credentials, local: false }),
  };
}
