/**
 * The assumptions doctor proves, one check each, with read-only calls and DryRun where the API has it. Every
 * answer goes through the Recorder (`--record`). A check returns lines; it never throws for a cloud refusal: the
 * refusal is the finding. Which assumption each line confirms: docs/cloud-fidelity.md.
 */
import * as OpenApiNs from '@alicloud/openapi-client';
import { cjsModule } from '../../shared/alibaba/cjs.js';
import type { CredentialSource } from '../../shared/alibaba/credentials.js';
import { createRpcCaller, NO_RETRY, RpcError, signingCredential, type RpcEndpoint } from '../../shared/alibaba/rpc.js';
import type { Recorder } from './record.js';

const openApi = cjsModule<typeof import('@alicloud/openapi-client')>(OpenApiNs);

export type Status = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';
export interface Finding {
  status: Status;
  check: string;
  message: string;
  /** The audit item or assumption the line confirms (docs/cloud-fidelity.md). */
  assumption?: string;
}

export interface DoctorTarget {
  mode: 'local' | 'cloud';
  region: string;
  credentials: CredentialSource;
  cas: RpcEndpoint;
  nlb: RpcEndpoint;
  fc: RpcEndpoint & { accountId: string };
  eventBridge?: RpcEndpoint;
  oss: { endpoint: string; bucket: string };
  parentIdentifier: string;
  listenerIds: string[];
  eventBus: { name: string; rules: string[]; routedLocally?: boolean };
  timers: Array<{ functionName: string; triggerName: string; cronExpression: string }>;
  /** Where an anonymous GET of an object goes (to prove the bucket is private). */
  objectUrl: (key: string) => string;
  listObjectKey: () => Promise<{ key?: string; encryption?: string }>;
}

type Caller = <T>(action: string, params: Record<string, unknown>) => Promise<T>;

function recording(product: string, version: string, endpoint: RpcEndpoint, target: DoctorTarget, rec: Recorder) {
  const call = createRpcCaller(version, endpoint, target.credentials);
  return (async <T>(action: string, params: Record<string, unknown>): Promise<T> => {
    const response = await call<T>(action, params as never);
    rec.record({ product, version, action, request: params, response });
    return response;
  }) as Caller;
}

const why = (err: unknown) =>
  err instanceof RpcError ? `${err.code}: ${err.message.split(' request id')[0]}` : String(err);

export async function runChecks(target: DoctorTarget, rec: Recorder): Promise<Finding[]> {
  const out: Finding[] = [];
  const add = (status: Status, check: string, message: string, assumption?: string) =>
    out.push({ status, check, message, ...(assumption ? { assumption } : {}) });
  const pca = recording('cas', '2020-06-30', target.cas, target, rec);
  const store = recording('cas', '2020-04-07', target.cas, target, rec);
  const nlb = recording('nlb', '2022-04-30', target.nlb, target, rec);
  const isPcaCa = new Map<string, boolean>();

  // The CA and sub-CA: exist, active, the sub-CA's key family (client keys must match it: D9).
  interface Ca {
    Certificate?: {
      Identifier?: string;
      ParentIdentifier?: string;
      Status?: string;
      CertificateType?: string;
      Algorithm?: string;
      KeySize?: number;
      AfterDate?: number;
    };
  }
  try {
    const sub = (await pca<Ca>('DescribeCACertificate', { Identifier: target.parentIdentifier })).Certificate ?? {};
    const active = sub.Status === 'ISSUE';
    add(
      active && sub.CertificateType === 'SUB_ROOT' ? 'PASS' : 'FAIL',
      'ca.sub-ca',
      `sub-CA ${target.parentIdentifier} is ${sub.CertificateType ?? '?'} ${sub.Status ?? '?'}, valid to ${sub.AfterDate ? new Date(sub.AfterDate).toISOString() : '?'}`,
    );
    add(
      sub.Algorithm ? 'PASS' : 'WARN',
      'ca.sub-ca.algorithm',
      `sub-CA key: ${sub.Algorithm ?? '?'} ${sub.KeySize ?? ''}; client keys must be of the same family`,
      'D9',
    );
    if (sub.ParentIdentifier) {
      const root = (await pca<Ca>('DescribeCACertificate', { Identifier: sub.ParentIdentifier })).Certificate ?? {};
      add(
        root.Status === 'ISSUE' && root.CertificateType === 'ROOT' ? 'PASS' : 'FAIL',
        'ca.root',
        `root ${sub.ParentIdentifier} is ${root.CertificateType ?? '?'} ${root.Status ?? '?'}`,
      );
    }
  } catch (err) {
    add('FAIL', 'ca.sub-ca', `DescribeCACertificate ${target.parentIdentifier}: ${why(err)}`);
  }

  // Each listener: the ids it reports for itself, its CA and its server certificate; its server group's shape.
  interface ListenerView {
    ListenerId?: string;
    ListenerProtocol?: string;
    ListenerPort?: number;
    CaEnabled?: boolean;
    CaCertificateIds?: string[];
    CertificateIds?: string[];
    SecurityPolicyId?: string;
    ServerGroupId?: string;
  }
  for (const id of target.listenerIds) {
    const check = `listener ${id}`;
    let l: ListenerView;
    try {
      l = await nlb<ListenerView>('GetListenerAttribute', { ListenerId: id, RegionId: target.region });
    } catch (err) {
      add('FAIL', check, `GetListenerAttribute: ${why(err)}`);
      continue;
    }
    add(
      l.ListenerProtocol === 'TCPSSL' ? 'PASS' : 'FAIL',
      `${check} protocol`,
      `${l.ListenerProtocol} on port ${l.ListenerPort}`,
    );
    add(
      'PASS',
      `${check} id`,
      `NLB reports ${l.ListenerId} (${l.ListenerId?.includes('@') ? 'with' : 'without'} the @port suffix; both are accepted)`,
      'D7',
    );
    const policy = l.SecurityPolicyId ?? '';
    add(
      /^tls_cipher_policy_|^tls-/.test(policy) ? 'PASS' : 'WARN',
      `${check} tls policy`,
      `${policy || '(none)'} (system tls_cipher_policy_* or custom tls-...)`,
      'D8',
    );

    try {
      const certs = await nlb<{ Certificates?: Array<{ CertificateId?: string; CertificateType?: string }> }>(
        'ListListenerCertificates',
        { ListenerId: id, RegionId: target.region, MaxResults: 50 },
      );
      const ca = (certs.Certificates ?? []).filter((c) => c.CertificateType === 'Ca').map((c) => c.CertificateId!);
      const server = (certs.Certificates ?? [])
        .filter((c) => c.CertificateType === 'Server')
        .map((c) => c.CertificateId!);
      if (ca.length === 0)
        add(
          'SKIP',
          `${check} CA id`,
          'mutual auth has no CA here yet: what id a listener reports for its CA stays unconfirmed',
          'D5',
        );
      for (const caId of ca) {
        let pcaForm = isPcaCa.get(caId);
        if (pcaForm === undefined) {
          pcaForm = await pca('DescribeCACertificate', { Identifier: caId }).then(
            () => true,
            () => false,
          );
          isPcaCa.set(caId, pcaForm);
        }
        add(
          pcaForm ? 'PASS' : 'WARN',
          `${check} CA id`,
          pcaForm
            ? `the listener reports its CA as the PCA identifier ${caId}`
            : `the listener reports its CA as ${caId}, not a PCA identifier: reconcile reads it back after each change`,
          'D5',
        );
      }
      for (const serverId of server.slice(0, 1)) {
        const m = serverId.match(/^(\d+)-([a-z0-9-]+)$/);
        if (!m) {
          add(
            'WARN',
            `${check} server certificate id`,
            `${serverId} is not <CertId>-<site>: reconcile reads it back after each change`,
            'D6',
          );
          continue;
        }
        try {
          const detail = await store<{ CertIdentifier?: string }>('GetUserCertificateDetail', {
            CertId: Number(m[1]),
            CertFilter: true,
          });
          add(
            detail.CertIdentifier === serverId ? 'PASS' : 'WARN',
            `${check} server certificate id`,
            `listener: ${serverId}; CAS CertIdentifier: ${detail.CertIdentifier} (site ${m[2]}, listener region ${target.region})`,
            'D6',
          );
        } catch (err) {
          add('FAIL', `${check} server certificate id`, `GetUserCertificateDetail ${m[1]}: ${why(err)}`, 'D6');
        }
      }
    } catch (err) {
      add('FAIL', `${check} certificates`, `ListListenerCertificates: ${why(err)}`, 'D5');
    }

    if (l.ServerGroupId) {
      try {
        const groups = await nlb<{ ServerGroups?: Array<{ Protocol?: string; PreserveClientIpEnabled?: boolean }> }>(
          'ListServerGroups',
          { ServerGroupIds: [l.ServerGroupId], RegionId: target.region },
        );
        const g = groups.ServerGroups?.[0];
        const ok = g?.Protocol === 'TCP' && g.PreserveClientIpEnabled === false;
        add(
          ok ? 'PASS' : 'WARN',
          `${check} server group`,
          `${l.ServerGroupId}: ${g?.Protocol ?? '?'}, client-IP preservation ${g?.PreserveClientIpEnabled ? 'on' : 'off'} (the seed's rule: TCP, off)`,
        );
      } catch (err) {
        add('FAIL', `${check} server group`, `ListServerGroups: ${why(err)}`);
      }
    }
    try {
      await nlb('UpdateListenerAttribute', {
        ListenerId: id,
        RegionId: target.region,
        SecurityPolicyId: policy,
        DryRun: true,
      });
      add('FAIL', `${check} may update`, 'a DryRun update was carried out instead of answering DryRunOperation');
    } catch (err) {
      const dry = err instanceof RpcError && err.code === 'DryRunOperation';
      add(
        dry ? 'PASS' : 'FAIL',
        `${check} may update`,
        dry ? 'UpdateListenerAttribute DryRun answered DryRunOperation' : `DryRun: ${why(err)}`,
      );
    }
  }

  // The bucket: private (an unsigned GET is refused) and encrypted at rest.
  try {
    const { key, encryption } = await target.listObjectKey();
    if (!key)
      add(
        'SKIP',
        'oss.bucket',
        `${target.oss.bucket} holds no record yet: privacy and encryption are checked once it does`,
      );
    else {
      const anonymous = await fetch(target.objectUrl(key), { signal: AbortSignal.timeout(5000) });
      await anonymous.arrayBuffer();
      add(
        anonymous.status === 403 ? 'PASS' : 'FAIL',
        'oss.bucket private',
        `an unsigned GET of a record answered ${anonymous.status}`,
      );
      add(
        encryption ? 'PASS' : 'FAIL',
        'oss.bucket encrypted',
        `records are stored with server-side encryption ${encryption ?? '(none)'}`,
      );
    }
  } catch (err) {
    add('FAIL', 'oss.bucket', `listing ${target.oss.bucket}: ${String(err)}`);
  }

  // The custom event bus and its rules (D3), and the timers.
  if (target.mode === 'local') {
    add(
      target.eventBus.routedLocally ? 'PASS' : 'FAIL',
      'events.bus',
      `the local stack routes ${target.eventBus.rules.join(', ')} on ${target.eventBus.name} (deploy/event-bus.json)`,
      'D3',
    );
    for (const t of target.timers)
      add(
        t.cronExpression.split(' ').length === 6 ? 'PASS' : 'FAIL',
        `timer ${t.functionName}/${t.triggerName}`,
        `cron ${t.cronExpression}`,
      );
  } else {
    const eb = recording('eventbridge', '2020-04-01', target.eventBridge!, target, rec);
    try {
      await eb('GetEventBus', { EventBusName: target.eventBus.name });
      add('PASS', 'events.bus', `event bus ${target.eventBus.name} exists`, 'D3');
      for (const rule of target.eventBus.rules) {
        const r = await eb<{ Data?: { Status?: string } }>('GetRule', {
          EventBusName: target.eventBus.name,
          RuleName: rule,
        });
        add(
          r.Data?.Status === 'ENABLE' ? 'PASS' : 'FAIL',
          `events.rule ${rule}`,
          `rule ${rule} is ${r.Data?.Status ?? '?'}`,
          'D3',
        );
      }
    } catch (err) {
      add('FAIL', 'events.bus', `${target.eventBus.name}: ${why(err)} (npm run deploy:events creates it)`, 'D3');
    }
    for (const t of target.timers) {
      try {
        const trigger = await getTrigger(target, t.functionName, t.triggerName, rec);
        const config = JSON.parse(String(trigger.triggerConfig ?? '{}')) as {
          enable?: boolean;
          cronExpression?: string;
        };
        add(
          config.enable !== false ? 'PASS' : 'FAIL',
          `timer ${t.functionName}/${t.triggerName}`,
          `cron ${config.cronExpression ?? '?'}, ${config.enable === false ? 'disabled' : 'enabled'}`,
        );
      } catch (err) {
        add('FAIL', `timer ${t.functionName}/${t.triggerName}`, `GetTrigger: ${why(err)}`);
      }
    }
  }
  return out;
}

/** FC 3.0 GetTrigger (ROA), signed like every other call. */
async function getTrigger(target: DoctorTarget, functionName: string, triggerName: string, rec: Recorder) {
  const client = new openApi.default(
    new openApi.Config({
      credential: signingCredential(target.credentials) as never,
      endpoint: target.fc.endpoint,
      protocol: target.fc.protocol ?? 'https',
      regionId: target.region,
    }),
  );
  const res = (await client.callApi(
    new openApi.Params({
      action: 'GetTrigger',
      version: '2023-03-30',
      protocol: 'HTTPS',
      pathname: `/2023-03-30/functions/${encodeURIComponent(functionName)}/triggers/${encodeURIComponent(triggerName)}`,
      method: 'GET',
      authType: 'AK',
      style: 'ROA',
      reqBodyType: 'json',
      bodyType: 'json',
    }),
    new openApi.OpenApiRequest({}),
    NO_RETRY,
  )) as { body: Record<string, unknown> };
  rec.record({
    product: 'fc',
    version: '2023-03-30',
    action: 'GetTrigger',
    request: { functionName, triggerName },
    response: res.body,
  });
  return res.body;
}
