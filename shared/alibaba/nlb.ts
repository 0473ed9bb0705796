/**
 * The ListenerGateway port over NLB 2022-04-30 (no published SDK: signed RPC through createRpcCaller).
 * NLB endpoints are regional, so one caller per region. Errors keep NLB's code (`RpcError.code`) for the retry policy.
 * Parameters as contracts/nlb-2022-04-30 has them: no RegionId on GetJobStatus, at most 20 ids per List call.
 */
import type {
  JobStatus,
  ListenerAttributes,
  ListenerCertificates,
  ListenerGateway,
  ListenerUpdate,
  ServerGroupAttributes,
} from '../domain/listeners/ports.js';
import { listenerBaseId } from '../domain/listeners/listener-id.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint, type RpcParams } from './rpc.js';

export const NLB_API_VERSION = '2022-04-30';
/** ListListeners / ListServerGroups accept at most 100 results per page. */
const PAGE_SIZE = 100;
/** "You can specify up to 20" ListenerIds / ServerGroupIds per call (ListListeners, ListServerGroups models). */
const MAX_IDS_PER_CALL = 20;
/** ListListenerCertificates' MaxResults is 1 to 50. */
const CERTIFICATES_PAGE_SIZE = 50;

export interface NlbGatewayConfig {
  credentials: CredentialInput;
  /** The endpoint of a region: `nlb.<region>.aliyuncs.com`, or the emulator for every region. */
  endpointFor: (region: string) => RpcEndpoint;
  /** Tests and the emulator inject their caller; default: createRpcCaller. */
  callerFor?: (endpoint: RpcEndpoint) => RpcCaller;
}

interface RawListener {
  ListenerId: string;
  RegionId?: string;
  LoadBalancerId?: string;
  ListenerProtocol: string;
  ListenerPort: number | string;
  ListenerStatus: string;
  CaEnabled?: boolean | string;
  CaCertificateIds?: string[];
  CertificateIds?: string[];
  SecurityPolicyId?: string;
  ServerGroupId?: string;
}

interface RawServerGroup {
  ServerGroupId: string;
  Protocol: string;
  PreserveClientIpEnabled?: boolean | string;
  ServerGroupStatus?: string;
}

const bool = (v: boolean | string | undefined) => v === true || v === 'true';

function toListener(raw: RawListener, region: string): ListenerAttributes {
  return {
    listenerId: raw.ListenerId,
    region: raw.RegionId ?? region,
    ...(raw.LoadBalancerId ? { loadBalancerId: raw.LoadBalancerId } : {}),
    protocol: raw.ListenerProtocol,
    port: Number(raw.ListenerPort),
    status: raw.ListenerStatus,
    caEnabled: bool(raw.CaEnabled),
    caCertificateIds: raw.CaCertificateIds ?? [],
    certificateIds: raw.CertificateIds ?? [],
    ...(raw.SecurityPolicyId ? { securityPolicyId: raw.SecurityPolicyId } : {}),
    ...(raw.ServerGroupId ? { serverGroupId: raw.ServerGroupId } : {}),
  };
}

function updateParams(update: ListenerUpdate): RpcParams {
  return {
    CaEnabled: update.caEnabled,
    CaCertificateIds: update.caCertificateIds,
    CertificateIds: update.certificateIds,
    SecurityPolicyId: update.securityPolicyId,
  };
}

export function createNlbListenerGateway(config: NlbGatewayConfig): ListenerGateway {
  const callers = new Map<string, RpcCaller>();
  const call = <T>(region: string, action: string, params: RpcParams): Promise<T> => {
    let caller = callers.get(region);
    if (!caller) {
      const endpoint = config.endpointFor(region);
      caller = config.callerFor
        ? config.callerFor(endpoint)
        : createRpcCaller(NLB_API_VERSION, endpoint, config.credentials);
      callers.set(region, caller);
    }
    // D15: GetJobStatus has no RegionId (contracts/nlb-2022-04-30/GetJobStatus.json); its endpoint is regional.
    return caller<T>(action, action === 'GetJobStatus' ? params : { RegionId: region, ...params });
  };

  /** Every page of a listing: `params` plus paging. */
  async function pages<T>(region: string, action: string, params: RpcParams, key: string, size = PAGE_SIZE) {
    const out: T[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call<Record<string, unknown>>(region, action, {
        ...params,
        MaxResults: size,
        NextToken: nextToken,
      });
      out.push(...((page[key] as T[] | undefined) ?? []));
      nextToken = typeof page.NextToken === 'string' && page.NextToken ? page.NextToken : undefined;
    } while (nextToken);
    return out;
  }

  /** Every page of a listing filtered by ids, 20 ids per call. */
  async function listAll<T>(region: string, action: string, idParam: string, ids: string[], key: string): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_CALL)
      out.push(...(await pages<T>(region, action, { [idParam]: ids.slice(i, i + MAX_IDS_PER_CALL) }, key)));
    return out;
  }

  return {
    async getListener(region, listenerId) {
      return toListener(await call<RawListener>(region, 'GetListenerAttribute', { ListenerId: listenerId }), region);
    },

    async getListeners(region, listenerIds) {
      if (listenerIds.length === 0) return new Map();
      const raw = await listAll<RawListener>(region, 'ListListeners', 'ListenerIds', listenerIds, 'Listeners');
      return new Map(raw.map((l) => [listenerBaseId(l.ListenerId), toListener(l, region)]));
    },

    async getServerGroups(region, serverGroupIds) {
      if (serverGroupIds.length === 0) return new Map();
      const raw = await listAll<RawServerGroup>(
        region,
        'ListServerGroups',
        'ServerGroupIds',
        serverGroupIds,
        'ServerGroups',
      );
      const groups: Array<[string, ServerGroupAttributes]> = raw.map((g) => [
        g.ServerGroupId,
        {
          serverGroupId: g.ServerGroupId,
          protocol: g.Protocol,
          preserveClientIpEnabled: bool(g.PreserveClientIpEnabled),
          ...(g.ServerGroupStatus ? { status: g.ServerGroupStatus } : {}),
        },
      ]);
      return new Map(groups);
    },

    async dryRunUpdate(region, listenerId, update) {
      try {
        await call(region, 'UpdateListenerAttribute', {
          ListenerId: listenerId,
          ...updateParams(update),
          DryRun: true,
        });
      } catch (err) {
        // NLB answers a dry run that would succeed with this error code.
        if (err instanceof RpcError && err.code === 'DryRunOperation') return;
        throw err;
      }
      throw new RpcError('DryRunIgnored', 'UpdateListenerAttribute answered a dry run without DryRunOperation');
    },

    async updateListener(region, listenerId, update, clientToken) {
      const res = await call<{ JobId?: string }>(region, 'UpdateListenerAttribute', {
        ListenerId: listenerId,
        ...updateParams(update),
        ClientToken: clientToken,
      });
      if (!res.JobId) throw new RpcError('MissingJobId', 'UpdateListenerAttribute answered without a JobId');
      return { jobId: res.JobId };
    },

    async getListenerCertificates(region, listenerId): Promise<ListenerCertificates> {
      const items = await pages<{ CertificateId?: string; CertificateType?: string; IsDefault?: boolean }>(
        region,
        'ListListenerCertificates',
        { ListenerId: listenerId },
        'Certificates',
        CERTIFICATES_PAGE_SIZE,
      );
      const ids = (type: string) =>
        items
          .filter((c) => c.CertificateType === type && c.CertificateId)
          .sort((a, b) => Number(b.IsDefault === true) - Number(a.IsDefault === true))
          .map((c) => c.CertificateId!);
      return { caCertificateIds: ids('Ca'), serverCertificateIds: ids('Server') };
    },

    async getJobStatus(region, jobId): Promise<JobStatus> {
      const res = await call<{ Status?: string }>(region, 'GetJobStatus', { JobId: jobId });
      const status = (res.Status ?? '').toLowerCase();
      if (status === 'succeeded') return 'Succeeded';
      if (status === 'failed') return 'Failed';
      return 'Processing';
    },
  };
}
