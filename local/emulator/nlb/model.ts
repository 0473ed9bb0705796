/** NLB 2022-04-30 resources as the API shows them (field names as in the responses), plus what the emulator keeps aside. */
import { vocabulary } from '../contracts/load.js';

export type ListenerProtocol = 'TCP' | 'UDP' | 'TCPSSL';
export type ListenerStatus =
  | 'Provisioning'
  | 'Running'
  | 'Configuring'
  | 'Stopping'
  | 'Stopped'
  | 'Starting'
  | 'Deleting'
  | 'Deleted';

export interface LoadBalancer {
  LoadBalancerId: string;
  LoadBalancerName: string;
  LoadBalancerStatus: 'Active';
  AddressType: 'Internet' | 'Intranet';
  DNSName: string;
  VpcId: string;
  RegionId: string;
  CreateTime: string;
}

export interface BackendServer {
  ServerId: string;
  ServerType: 'Ecs';
  ServerIp: string;
  Port: number;
  Weight: number;
  Description: string;
  Status: 'Available';
}

export interface ServerGroup {
  ServerGroupId: string;
  ServerGroupName: string;
  ServerGroupType: 'Instance';
  Protocol: 'TCP' | 'UDP' | 'TCP_UDP';
  PreserveClientIpEnabled: boolean;
  ServerGroupStatus: 'Available';
  Scheduler: 'Wrr' | 'Rr';
  VpcId: string;
  RegionId: string;
  AddressIPVersion: 'ipv4';
  ConnectionDrainEnabled: boolean;
  RelatedLoadBalancerIds: string[];
  Servers: BackendServer[];
}

/** The settings UpdateListenerAttribute can change. */
export interface ListenerSettings {
  ListenerDescription: string;
  ServerGroupId: string;
  SecurityPolicyId: string;
  CertificateIds: string[];
  CaCertificateIds: string[];
  CaEnabled: boolean;
  IdleTimeout: number;
  ProxyProtocolEnabled: boolean;
  SecSensorEnabled: boolean;
  AlpnEnabled: boolean;
  AlpnPolicy?: string;
  Cps: number;
  Mss: number;
}

export interface Listener extends ListenerSettings {
  ListenerId: string;
  LoadBalancerId: string;
  ListenerProtocol: ListenerProtocol;
  ListenerPort: number;
  ListenerStatus: ListenerStatus;
  RegionId: string;
  /** Emulator-only: whether a TLS data plane serves it (its local port is chosen at start, not kept). */
  emulator: { dataPlane: boolean };
}

export interface Job {
  JobId: string;
  ListenerId: string;
  Status: 'processing' | 'Succeeded';
  /** The settings applied when the job finishes. */
  patch: Partial<ListenerSettings>;
  createdAt: number;
  /** Epoch ms; null while the job hangs (a test made it never finish). */
  finishAt: number | null;
}

export interface ClientTokenUse {
  token: string;
  action: string;
  fingerprint: string;
  jobId: string;
  at: number;
}

/** A custom TLS policy (CreateSecurityPolicy): ids are `tls-...` (contracts/nlb-2022-04-30/_vocabulary.json). */
export interface SecurityPolicy {
  SecurityPolicyId: string;
  SecurityPolicyName: string;
  SecurityPolicyStatus: 'Available';
  TlsVersions: string[];
  Ciphers: string[];
  RegionId: string;
}

/** NLB's system TLS policies, as the published model lists them (never the project's own list). */
export const SYSTEM_TLS_POLICIES: readonly string[] = vocabulary('nlb', '2022-04-30').systemTlsPolicies.values;

/** The API view of a listener: the emulator's own fields removed. */
export function listenerView(l: Listener): Record<string, unknown> {
  const { emulator: _emulator, ...view } = l;
  return view;
}
