/**
 * NLB 2022-04-30 actions. Parameters are checked against contracts/nlb-2022-04-30 before they get here (types,
 * valid values, at most 20 ids per List call). Error codes: UpdateListenerAttribute's documented table
 * (`ResourceNotFound.Certificate`, `ResourceNotFound.CaCertificate`, `IncorrectStatus.listener`,
 * `IdempotenceSignatureMismatch`, `DryRunOperation`); statuses and the codes of other refusals are ASSUMED.
 * Listener ids: `lsn-...@<port>` as GetListenerAttribute's model shows them, either form accepted (D7);
 * ListListeners reports them as its model's example does, without the port (ASSUMED, a switch).
 */
import { ApiError, invalidParameter } from '../rpc/api-error.js';
import type { RpcParams } from '../rpc/params.js';
import type { RpcProduct } from '../rpc/server.js';
import type { CaIdMapper } from './ca-ids.js';
import {
  type Listener,
  type ListenerSettings,
  type SecurityPolicy,
  SYSTEM_TLS_POLICIES,
  listenerView,
} from './model.js';
import { listenerBaseId, type NlbState } from './state.js';

/** What NLB needs to know about certificates kept by CAS. */
export interface NlbCertificateCatalog {
  /** `CertIdentifier` of the certificate store (`<CertId>-<site>`). */
  hasServerCertificate(certificateId: string): boolean;
  caIds: CaIdMapper;
}

export interface NlbBehaviour {
  /** How ListListeners reports listener ids: `bare` (its model's example, default) or `port` (`lsn-...@443`). */
  listListenersIdForm?: 'bare' | 'port';
}

function securityPolicyView(p: SecurityPolicy): Record<string, unknown> {
  return {
    SecurityPolicyId: p.SecurityPolicyId,
    SecurityPolicyName: p.SecurityPolicyName,
    SecurityPolicyStatus: p.SecurityPolicyStatus,
    TlsVersion: p.TlsVersions.join(','),
    Ciphers: p.Ciphers.join(','),
    RegionId: p.RegionId,
    RelatedListeners: [],
  };
}

const notFound = (status: number, code: string, id: string) =>
  new ApiError(status, code, `The specified resource ${id} is not found.`);

/** Opaque paging token: base64url of the offset, as stable as the (sorted) listing it pages. */
function page<T>(items: T[], p: RpcParams): { items: T[]; nextToken?: string; maxResults: number } {
  const maxResults = p.int('MaxResults', { min: 1, max: 100 }) ?? 20;
  const token = p.string('NextToken');
  let offset = 0;
  if (token) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!/^o:\d+$/.test(decoded))
      throw new ApiError(400, 'IllegalParam.NextToken', 'The param of NextToken is illegal.');
    offset = Number(decoded.slice(2));
  }
  const slice = items.slice(offset, offset + maxResults);
  const next = offset + slice.length;
  return {
    items: slice,
    maxResults,
    nextToken: next < items.length ? Buffer.from(`o:${next}`).toString('base64url') : undefined,
  };
}

function listing(key: string, all: Array<Record<string, unknown>>, p: RpcParams): Record<string, unknown> {
  const { items, nextToken, maxResults } = page(all, p);
  return {
    [key]: items,
    TotalCount: all.length,
    MaxResults: maxResults,
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

function readSettingsPatch(p: RpcParams): Partial<ListenerSettings> {
  const patch: Partial<ListenerSettings> = {};
  const description = p.string('ListenerDescription');
  if (description !== undefined) {
    if (description.length < 2 || description.length > 256)
      throw new ApiError(400, 'IllegalParam', 'The param of ListenerDescription is illegal.');
    patch.ListenerDescription = description;
  }
  const serverGroupId = p.string('ServerGroupId');
  if (serverGroupId !== undefined) patch.ServerGroupId = serverGroupId;
  const policy = p.string('SecurityPolicyId');
  if (policy !== undefined) patch.SecurityPolicyId = policy;
  const certificateIds = p.list('CertificateIds');
  if (certificateIds !== undefined) patch.CertificateIds = certificateIds;
  const caCertificateIds = p.list('CaCertificateIds');
  if (caCertificateIds !== undefined) patch.CaCertificateIds = caCertificateIds;
  const caEnabled = p.bool('CaEnabled');
  if (caEnabled !== undefined) patch.CaEnabled = caEnabled;
  const idleTimeout = p.string('IdleTimeout');
  if (idleTimeout !== undefined) {
    const n = Number(idleTimeout);
    if (!Number.isInteger(n) || n < 10 || n > 900)
      throw new ApiError(400, 'IllegalParam.IdleTimeout', 'The param of IdleTimeout is illegal.');
    patch.IdleTimeout = n;
  }
  for (const name of ['ProxyProtocolEnabled', 'SecSensorEnabled', 'AlpnEnabled'] as const) {
    const v = p.bool(name);
    if (v !== undefined) patch[name] = v;
  }
  const alpnPolicy = p.string('AlpnPolicy');
  if (alpnPolicy !== undefined) patch.AlpnPolicy = alpnPolicy;
  const cps = p.int('Cps', { min: 0, max: 1_000_000 });
  if (cps !== undefined) patch.Cps = cps;
  const mss = p.int('Mss', { min: 0, max: 1500 });
  if (mss !== undefined) patch.Mss = mss;
  return patch;
}

export function nlbProduct(state: NlbState, catalog: NlbCertificateCatalog, behaviour: NlbBehaviour = {}): RpcProduct {
  const listedId = (id: string) => (behaviour.listListenersIdForm === 'port' ? id : listenerBaseId(id));
  const mustGetListener = (p: RpcParams): Listener => {
    const id = p.requiredString('ListenerId');
    const listener = state.getListener(id);
    if (!listener) throw notFound(404, 'ResourceNotFound.listener', id);
    return listener;
  };

  const validateUpdate = (listener: Listener, patch: Partial<ListenerSettings>) => {
    if ((patch.CertificateIds?.length ?? 0) > 1 || (patch.CaCertificateIds?.length ?? 0) > 1) {
      throw new ApiError(
        400,
        'IllegalParamSize.certificateIds',
        'The param size of certificateIds or caCertificateIds is illegal.',
      );
    }
    const tlsOnly = ['SecurityPolicyId', 'CertificateIds', 'CaCertificateIds', 'CaEnabled'] as const;
    if (listener.ListenerProtocol !== 'TCPSSL' && tlsOnly.some((k) => patch[k] !== undefined)) {
      throw new ApiError(
        400,
        'IllegalParam',
        `The param of ${tlsOnly.find((k) => patch[k] !== undefined)} is illegal.`,
      );
    }
    // System policies as the model lists them, or a custom `tls-...` policy that exists (D8).
    if (
      patch.SecurityPolicyId !== undefined &&
      !SYSTEM_TLS_POLICIES.includes(patch.SecurityPolicyId) &&
      !state.getSecurityPolicy(patch.SecurityPolicyId)
    ) {
      throw notFound(404, 'ResourceNotFound.securitypolicy', patch.SecurityPolicyId);
    }
    for (const id of patch.CertificateIds ?? [])
      if (!catalog.hasServerCertificate(id)) throw notFound(400, 'ResourceNotFound.Certificate', id);
    // The listener keeps (and reports) the CA id in the form this emulator is set to: see ca-ids.ts.
    if (patch.CaCertificateIds) {
      patch.CaCertificateIds = patch.CaCertificateIds.map((id) => {
        const onListener = catalog.caIds.onListener(id);
        if (!onListener)
          throw new ApiError(
            404,
            'ResourceNotFound.CaCertificate',
            'The specified resource of CaCertificate is not found.',
          );
        return onListener;
      });
    }
    if (patch.ServerGroupId !== undefined) {
      const group = state.getServerGroup(patch.ServerGroupId);
      if (!group)
        throw new ApiError(404, 'ResourceNotFound.serverGroup', 'The specified resource of serverGroup is not found.');
      // The seed's rule, enforced by the API: TCPSSL needs a TCP group without client-IP preservation.
      if (listener.ListenerProtocol === 'TCPSSL' && (group.Protocol !== 'TCP' || group.PreserveClientIpEnabled)) {
        throw new ApiError(400, 'IllegalParam', 'The param of ServerGroupId is illegal.');
      }
    }
    const next = { ...listener, ...patch };
    if (next.ListenerProtocol === 'TCPSSL' && next.CaEnabled && next.CaCertificateIds.length === 0) {
      throw new ApiError(400, 'IllegalParam', 'The param of CaCertificateIds is illegal.');
    }
  };

  return {
    product: 'nlb',
    version: '2022-04-30',
    hostId: `nlb.${state.region}.aliyuncs.com`,
    actions: {
      GetListenerAttribute: (p) => listenerView(mustGetListener(p)),

      UpdateListenerAttribute: (p) => {
        const listener = mustGetListener(p);
        const token = p.string('ClientToken');
        const fingerprint = p.fingerprint(['ClientToken', 'RegionId']);
        if (token) {
          const seen = state.clientToken('UpdateListenerAttribute', token);
          if (seen && seen.fingerprint !== fingerprint) {
            throw new ApiError(
              400,
              'IdempotenceSignatureMismatch',
              'The idempotence token of request is same with the prev one, but the signature is different.',
            );
          }
          if (seen) return { JobId: seen.jobId };
        }
        const patch = readSettingsPatch(p);
        validateUpdate(listener, patch);
        if (listener.ListenerStatus !== 'Running') {
          throw new ApiError(
            400,
            'IncorrectStatus.listener',
            `The status of listener [${listener.ListenerId}] is incorrect.`,
          );
        }
        if (p.bool('DryRun') === true)
          throw new ApiError(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.');
        const job = state.startUpdateJob(listener.ListenerId, patch);
        if (token)
          state.rememberClientToken({
            token,
            action: 'UpdateListenerAttribute',
            fingerprint,
            jobId: job.JobId,
            at: Date.now(),
          });
        return { JobId: job.JobId };
      },

      GetJobStatus: (p) => {
        const jobId = p.requiredString('JobId');
        const job = state.getJob(jobId);
        if (!job) throw notFound(404, 'ResourceNotFound.job', jobId);
        return { Status: job.Status };
      },

      ListListeners: (p) => {
        const ids = p.list('ListenerIds');
        const lbs = p.list('LoadBalancerIds');
        const protocol = p.string('ListenerProtocol');
        if (protocol && !['TCP', 'UDP', 'TCPSSL'].includes(protocol)) throw invalidParameter('ListenerProtocol');
        const all = state
          .listeners()
          .filter(
            (l) =>
              (!ids || ids.some((id) => state.getListener(id)?.ListenerId === l.ListenerId)) &&
              (!lbs || lbs.includes(l.LoadBalancerId)) &&
              (!protocol || l.ListenerProtocol === protocol),
          )
          .sort((a, b) => a.ListenerId.localeCompare(b.ListenerId))
          .map((l) => ({ ...listenerView(l), ListenerId: listedId(l.ListenerId) }));
        return listing('Listeners', all, p);
      },

      ListServerGroups: (p) => {
        const ids = p.list('ServerGroupIds');
        const names = p.list('ServerGroupNames');
        const all = state
          .serverGroups()
          .filter((g) => (!ids || ids.includes(g.ServerGroupId)) && (!names || names.includes(g.ServerGroupName)))
          .sort((a, b) => a.ServerGroupId.localeCompare(b.ServerGroupId))
          .map(({ Servers, ...g }) => ({ ...g, ServerCount: Servers.length }));
        return listing('ServerGroups', all, p);
      },

      ListSecurityPolicy: (p) => {
        const ids = p.list('SecurityPolicyIds');
        const names = p.list('SecurityPolicyNames');
        const all = state
          .securityPolicies()
          .filter((x) => (!ids || ids.includes(x.SecurityPolicyId)) && (!names || names.includes(x.SecurityPolicyName)))
          .sort((a, b) => a.SecurityPolicyId.localeCompare(b.SecurityPolicyId))
          .map(securityPolicyView);
        return listing('SecurityPolicies', all, p);
      },

      ListServerGroupServers: (p) => {
        const groupId = p.requiredString('ServerGroupId');
        const group = state.getServerGroup(groupId);
        if (!group)
          throw new ApiError(
            404,
            'ResourceNotFound.serverGroup',
            'The specified resource of serverGroup is not found.',
          );
        return listing(
          'Servers',
          group.Servers.map((s) => ({ ...s, ServerGroupId: groupId })),
          p,
        );
      },

      ListListenerCertificates: (p) => {
        const listener = mustGetListener(p);
        const certType = p.string('CertType');
        if (certType && certType !== 'Ca' && certType !== 'Server') throw invalidParameter('CertType');
        const filter = p.list('CertificateIds');
        const all = [
          ...listener.CertificateIds.map((id) => ({
            CertificateId: id,
            CertificateType: 'Server',
            IsDefault: true,
            Status: 'Associated',
          })),
          ...listener.CaCertificateIds.map((id) => ({
            CertificateId: id,
            CertificateType: 'Ca',
            IsDefault: true,
            Status: 'Associated',
          })),
        ].filter((c) => (!certType || c.CertificateType === certType) && (!filter || filter.includes(c.CertificateId)));
        const result = listing('Certificates', all, p);
        return {
          ...result,
          CertificateIds: (result.Certificates as Array<{ CertificateId: string }>).map((c) => c.CertificateId),
        };
      },
    },
  };
}
