/**
 * The local desired state: ONE file that `npm start`'s reconcile-listeners function and `npm run reconcile` both
 * read, `.local/listeners.yaml` (or DESIRED_STATE_FILE when set), written from the seeded listeners the first time
 * either needs it. Edit it, and both see the change (the function at its next cold start, i.e. the next npm start).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createNlbListenerGateway } from '../../shared/alibaba/nlb.js';
import { parseEndpoint } from '../../shared/config/alibaba.js';
import { listenerBaseId } from '../../shared/domain/listeners/listener-id.js';

/** DESIRED_STATE_FILE (relative to the directory the command was started from) or `<dataDir>/listeners.yaml`. */
export function localDesiredStateFile(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.DESIRED_STATE_FILE;
  if (!configured) return resolve(join(dataDir, 'listeners.yaml'));
  return isAbsolute(configured) ? configured : resolve(env.INIT_CWD ?? process.cwd(), configured);
}

/** Writes the seeded listeners' desired state to `file` unless it exists; true when it wrote it. */
export async function ensureSeedDesiredState(
  file: string,
  env: Record<string, string>,
  localPorts: Map<string, number>,
): Promise<boolean> {
  if (existsSync(file)) return false;
  await writeSeedDesiredState(file, env, localPorts);
  return true;
}

/** The seeded listeners as a desired state: mutual auth on with the default CA, everything else as it is now. */
export async function writeSeedDesiredState(
  file: string,
  env: Record<string, string>,
  localPorts: Map<string, number>,
): Promise<void> {
  const listenerIds = [...localPorts.keys()];
  const region = env.REGION;
  const gateway = createNlbListenerGateway({
    credentials: { accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET },
    endpointFor: () => parseEndpoint(env.NLB_ENDPOINT, region),
  });
  const found = await gateway.getListeners(region, listenerIds);
  const inOrder = listenerIds
    .map((id) => {
      const l = found.get(listenerBaseId(id));
      return l && { ...l, listenerId: id };
    })
    .filter((l) => l !== undefined);
  const blocks = inOrder.map((l) => {
    // The listener reports CAS's CertIdentifier (`<CertId>-<site>`); the declaration names the CertId.
    const [certId] = (l.certificateIds[0] ?? '0').split('-');
    return [
      `  - region: ${region}`,
      `    listenerId: ${l.listenerId}`,
      `    mutualAuth: on`,
      `    ca: default`,
      `    serverCertificate: { certId: ${certId} }`,
      `    securityPolicy: ${l.securityPolicyId ?? 'tls_cipher_policy_1_2'}`,
      `    probe: { host: www.example.com, port: ${localPorts.get(l.listenerId) ?? l.port}, address: 127.0.0.1 }`,
    ].join('\n');
  });
  const text = [
    '# Desired state for the local stack, written by `npm run reconcile` from the seeded listeners.',
    '# Edit it to declare what you want (the keys are explained in config/listeners.yaml), then run',
    '# `npm run reconcile -- --plan` to see the difference and `--apply` to make it so.',
    "# Locally each listener's data plane is on 127.0.0.1 (ports in stack.json): hence the probes' address and port.",
    "# `npm start`'s own reconcile-listeners function reads this same file (at its start).",
    'version: 1',
    'listeners:',
    ...blocks,
    '',
  ].join('\n');
  writeFileSync(file, text);
}
