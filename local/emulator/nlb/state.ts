/**
 * NLB state: load balancers, server groups, listeners and their configuration jobs. An update is a job: the
 * listener is `Configuring` until the job finishes, then the new settings apply and a `listener` event tells the
 * data plane. Helpers for tests change state "behind the API's back" without a job.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { JsonlCollection } from '../persistence.js';
import type {
  ClientTokenUse,
  Job,
  Listener,
  ListenerSettings,
  LoadBalancer,
  SecurityPolicy,
  ServerGroup,
} from './model.js';

export interface NlbCollections {
  loadBalancers: JsonlCollection<LoadBalancer>;
  serverGroups: JsonlCollection<ServerGroup>;
  listeners: JsonlCollection<Listener>;
  jobs: JsonlCollection<Job>;
  clientTokens: JsonlCollection<ClientTokenUse>;
  securityPolicies: JsonlCollection<SecurityPolicy>;
}

/** `lsn-abc@443` -> `lsn-abc`: the models show listener ids with and without the port suffix (D7). */
export function listenerBaseId(listenerId: string): string {
  const at = listenerId.indexOf('@');
  return at < 0 ? listenerId : listenerId.slice(0, at);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export function resourceId(prefix: string, length = 20): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}-${out}`;
}

type ListenerChange = (listenerId: string) => void;

export class NlbState {
  /** Tells subscribers (the data plane) that a listener's effective settings changed: job finished, patch, creation. */
  private readonly changes = new EventEmitter<{ listener: [listenerId: string] }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly jobDelays = new Map<string, number>();
  /** Base id (`lsn-abc`) -> the id the listener was created with (`lsn-abc@443`). */
  private readonly byBaseId = new Map<string, string>();

  constructor(
    private readonly store: NlbCollections,
    readonly region: string,
    private jobDelayMs: number,
  ) {
    for (const l of store.listeners.values()) this.byBaseId.set(listenerBaseId(l.ListenerId), l.ListenerId);
    // Jobs that were in flight when the emulator stopped finish now (or when their time comes), hung ones too.
    for (const job of store.jobs.values())
      if (job.Status === 'processing') this.schedule({ ...job, finishAt: job.finishAt ?? Date.now() });
  }

  onListenerChange(fn: ListenerChange): void {
    this.changes.on('listener', fn);
  }

  offListenerChange(fn: ListenerChange): void {
    this.changes.off('listener', fn);
  }

  // ---- reads

  /** By either form of the id: `lsn-abc@443` or `lsn-abc` (a port suffix that does not match finds nothing). */
  getListener(listenerId: string): Listener | undefined {
    const exact = this.store.listeners.get(listenerId);
    if (exact) return exact;
    const full = this.byBaseId.get(listenerBaseId(listenerId));
    if (!full || (listenerId.includes('@') && full !== listenerId)) return undefined;
    return this.store.listeners.get(full);
  }

  listeners(): Listener[] {
    return [...this.store.listeners.values()];
  }

  getServerGroup(serverGroupId: string): ServerGroup | undefined {
    return this.store.serverGroups.get(serverGroupId);
  }

  serverGroups(): ServerGroup[] {
    return [...this.store.serverGroups.values()];
  }

  getLoadBalancer(loadBalancerId: string): LoadBalancer | undefined {
    return this.store.loadBalancers.get(loadBalancerId);
  }

  loadBalancers(): LoadBalancer[] {
    return [...this.store.loadBalancers.values()];
  }

  getJob(jobId: string): Job | undefined {
    return this.store.jobs.get(jobId);
  }

  jobs(listenerId?: string): Job[] {
    const id = listenerId && (this.getListener(listenerId)?.ListenerId ?? listenerId);
    return [...this.store.jobs.values()].filter((j) => !id || j.ListenerId === id);
  }

  // ---- creation (seeding and test helpers)

  createLoadBalancer(name: string): LoadBalancer {
    const id = resourceId('nlb');
    const lb: LoadBalancer = {
      LoadBalancerId: id,
      LoadBalancerName: name,
      LoadBalancerStatus: 'Active',
      AddressType: 'Internet',
      DNSName: `${id}.${this.region}.nlb.aliyuncsslb.com`,
      VpcId: 'vpc-local0000000000000000',
      RegionId: this.region,
      CreateTime: new Date().toISOString(),
    };
    this.store.loadBalancers.put(id, lb);
    return lb;
  }

  createServerGroup(
    input: Pick<ServerGroup, 'ServerGroupName' | 'Protocol' | 'PreserveClientIpEnabled' | 'Servers'>,
  ): ServerGroup {
    const group: ServerGroup = {
      ServerGroupId: resourceId('sgp', 18),
      ServerGroupType: 'Instance',
      ServerGroupStatus: 'Available',
      Scheduler: 'Wrr',
      VpcId: 'vpc-local0000000000000000',
      RegionId: this.region,
      AddressIPVersion: 'ipv4',
      ConnectionDrainEnabled: false,
      RelatedLoadBalancerIds: [],
      ...input,
    };
    this.store.serverGroups.put(group.ServerGroupId, group);
    return group;
  }

  createListener(input: {
    loadBalancerId: string;
    protocol: Listener['ListenerProtocol'];
    port: number;
    settings: Partial<ListenerSettings> & Pick<ListenerSettings, 'ServerGroupId'>;
    dataPlane: boolean;
  }): Listener {
    const listener: Listener = {
      // As GetListenerAttribute's model shows it: `lsn-...@<port>` (D7).
      ListenerId: `${resourceId('lsn')}@${input.port}`,
      LoadBalancerId: input.loadBalancerId,
      ListenerProtocol: input.protocol,
      ListenerPort: input.port,
      ListenerStatus: 'Running',
      RegionId: this.region,
      ListenerDescription: `${input.protocol.toLowerCase()}_${input.port}`,
      SecurityPolicyId: input.protocol === 'TCPSSL' ? 'tls_cipher_policy_1_0' : '',
      CertificateIds: [],
      CaCertificateIds: [],
      CaEnabled: false,
      IdleTimeout: 900,
      ProxyProtocolEnabled: false,
      SecSensorEnabled: false,
      AlpnEnabled: false,
      Cps: 0,
      Mss: 0,
      ...input.settings,
      emulator: { dataPlane: input.dataPlane },
    };
    this.store.listeners.put(listener.ListenerId, listener);
    this.byBaseId.set(listenerBaseId(listener.ListenerId), listener.ListenerId);
    const group = this.store.serverGroups.get(listener.ServerGroupId);
    if (group && !group.RelatedLoadBalancerIds.includes(input.loadBalancerId)) {
      group.RelatedLoadBalancerIds.push(input.loadBalancerId);
      this.store.serverGroups.put(group.ServerGroupId, group);
    }
    this.changes.emit('listener', listener.ListenerId);
    return listener;
  }

  createSecurityPolicy(input: Pick<SecurityPolicy, 'SecurityPolicyName' | 'TlsVersions' | 'Ciphers'>): SecurityPolicy {
    const policy: SecurityPolicy = {
      SecurityPolicyId: resourceId('tls', 18),
      SecurityPolicyStatus: 'Available',
      RegionId: this.region,
      ...input,
    };
    this.store.securityPolicies.put(policy.SecurityPolicyId, policy);
    return policy;
  }

  getSecurityPolicy(id: string): SecurityPolicy | undefined {
    return this.store.securityPolicies.get(id);
  }

  securityPolicies(): SecurityPolicy[] {
    return [...this.store.securityPolicies.values()];
  }

  // ---- changes

  /** A change made outside the API (console, another tool): immediate, no job. */
  patchListener(
    listenerId: string,
    patch: Partial<ListenerSettings> & { ListenerStatus?: Listener['ListenerStatus'] },
  ): Listener {
    const listener = this.mustGetListener(listenerId);
    const next = { ...listener, ...patch };
    this.store.listeners.put(listener.ListenerId, next);
    this.changes.emit('listener', listener.ListenerId);
    return next;
  }

  patchServerGroup(serverGroupId: string, patch: Partial<Omit<ServerGroup, 'ServerGroupId'>>): ServerGroup {
    const group = this.store.serverGroups.get(serverGroupId);
    if (!group) throw new Error(`no server group ${serverGroupId}`);
    const next = { ...group, ...patch };
    this.store.serverGroups.put(serverGroupId, next);
    for (const l of this.store.listeners.values())
      if (l.ServerGroupId === serverGroupId) this.changes.emit('listener', l.ListenerId);
    return next;
  }

  /** Starts a configuration job: the listener goes `Configuring` and takes `patch` when the job finishes. */
  startUpdateJob(listenerId: string, patch: Partial<ListenerSettings>): Job {
    const listener = this.mustGetListener(listenerId);
    const delay = this.jobDelays.get(listener.ListenerId) ?? this.jobDelayMs;
    const now = Date.now();
    const job: Job = {
      JobId: randomUUID(),
      ListenerId: listener.ListenerId,
      Status: 'processing',
      patch,
      createdAt: now,
      finishAt: Number.isFinite(delay) ? now + delay : null,
    };
    this.store.jobs.put(job.JobId, job);
    this.store.listeners.put(listener.ListenerId, { ...listener, ListenerStatus: 'Configuring' });
    this.schedule(job);
    return job;
  }

  rememberClientToken(use: ClientTokenUse): void {
    this.store.clientTokens.put(`${use.action}:${use.token}`, use);
  }

  clientToken(action: string, token: string): ClientTokenUse | undefined {
    return this.store.clientTokens.get(`${action}:${token}`);
  }

  /** Jobs of this listener (or of every listener for `*`) take `ms`; `Infinity` makes them hang until `finishJobs`. */
  setJobDelay(listenerId: string | '*', ms: number): void {
    if (listenerId === '*') this.jobDelayMs = ms;
    else this.jobDelays.set(this.getListener(listenerId)?.ListenerId ?? listenerId, ms);
  }

  /** Finishes every job in flight now (or only this listener's). */
  finishJobs(listenerId?: string): void {
    const id = listenerId && (this.getListener(listenerId)?.ListenerId ?? listenerId);
    for (const job of [...this.store.jobs.values()]) {
      if (job.Status === 'processing' && (!id || job.ListenerId === id)) this.finish(job.JobId);
    }
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.changes.removeAllListeners();
  }

  private mustGetListener(listenerId: string): Listener {
    const listener = this.getListener(listenerId);
    if (!listener) throw new Error(`no listener ${listenerId}`);
    return listener;
  }

  private schedule(job: Job): void {
    if (job.finishAt === null) return;
    const timer = setTimeout(() => this.finish(job.JobId), Math.max(0, job.finishAt - Date.now()));
    timer.unref();
    this.timers.set(job.JobId, timer);
  }

  private finish(jobId: string): void {
    const timer = this.timers.get(jobId);
    if (timer) clearTimeout(timer);
    this.timers.delete(jobId);
    const job = this.store.jobs.get(jobId);
    if (!job || job.Status !== 'processing') return;
    this.store.jobs.put(jobId, { ...job, Status: 'Succeeded', finishAt: Date.now() });
    const listener = this.store.listeners.get(job.ListenerId);
    if (!listener) return;
    this.store.listeners.put(job.ListenerId, { ...listener, ...job.patch, ListenerStatus: 'Running' });
    this.changes.emit('listener', job.ListenerId);
  }
}
