/**
 * The seed's topology (the manual procedure in shared/seed): one NLB with a TCPSSL listener whose server group
 * is TCP with client-IP preservation off, two backends ECS01 and ECS02, and a www.example.com server certificate
 * signed by the PCA root (the manual signs it with root.key) uploaded to the certificate store. Mutual auth starts
 * off. A second TCPSSL listener breaks the seed's rule (its group preserves client IPs) for reconciliation tests.
 * One custom TLS policy (`tls-...`, TLS 1.2 with ECDHE AES-GCM) exists for declarations that name a custom policy.
 */
import { generateKeyPair, signServerCertificate } from '../../shared/pki/index.js';
import type { CertificateStore } from './cas/cert-store.js';
import type { PrivateCa } from './cas/pca.js';
import type { Listener, ServerGroup } from './nlb/model.js';
import { resourceId, type NlbState } from './nlb/state.js';

export const SEED_HOST = 'www.example.com';
export const SEED_TLS_POLICY = 'tls_cipher_policy_1_2';
const SERVER_CERT_DAYS = 3650;

export interface SeedOptions {
  nlb: NlbState;
  pca: PrivateCa;
  certStore: CertificateStore;
}

export async function issueSeedServerCertificate(pca: PrivateCa, certStore: CertificateStore): Promise<string> {
  const keyPair = await generateKeyPair('RSA_2048');
  const certPem = await signServerCertificate({
    publicKey: keyPair.publicKey,
    commonName: SEED_HOST,
    sans: { dns: [SEED_HOST] },
    notAfter: new Date(Date.now() + SERVER_CERT_DAYS * 24 * 3600 * 1000),
    issuer: pca.caMaterial(pca.root.identifier)!,
  });
  const uploaded = certStore.upload({
    name: SEED_HOST,
    certPem,
    keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  return certStore.identifierOf(uploaded.certId);
}

function backendServers(): ServerGroup['Servers'] {
  return ['ECS01', 'ECS02'].map((name, i) => ({
    ServerId: resourceId('i', 20),
    ServerType: 'Ecs',
    ServerIp: `192.168.0.${i + 1}`,
    Port: 80,
    Weight: 100,
    Description: name,
    Status: 'Available',
  }));
}

/** Seeds once: does nothing when the state already holds a load balancer (a restart with the same data dir). */
export async function seedTopology(options: SeedOptions): Promise<Listener[] | undefined> {
  const { nlb } = options;
  if (nlb.loadBalancers().length > 0) return undefined;
  const certificateId = await issueSeedServerCertificate(options.pca, options.certStore);
  const lb = nlb.createLoadBalancer('nlb-tcpssl-mutual-auth');
  nlb.createSecurityPolicy({
    SecurityPolicyName: 'tls12-ecdhe-aes-gcm',
    TlsVersions: ['TLSv1.2'],
    Ciphers: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384'],
  });
  const servers = backendServers();
  const tcpGroup = nlb.createServerGroup({
    ServerGroupName: 'sgp-tcp-ecs',
    Protocol: 'TCP',
    PreserveClientIpEnabled: false,
    Servers: servers,
  });
  const preserveGroup = nlb.createServerGroup({
    ServerGroupName: 'sgp-tcp-preserve-client-ip',
    Protocol: 'TCP',
    PreserveClientIpEnabled: true,
    Servers: servers,
  });
  const common = {
    SecurityPolicyId: SEED_TLS_POLICY,
    CertificateIds: [certificateId],
    CaEnabled: false,
    CaCertificateIds: [],
  };
  return [
    nlb.createListener({
      loadBalancerId: lb.LoadBalancerId,
      protocol: 'TCPSSL',
      port: 443,
      settings: { ...common, ServerGroupId: tcpGroup.ServerGroupId, ListenerDescription: 'tcpssl_443' },
      dataPlane: true,
    }),
    nlb.createListener({
      loadBalancerId: lb.LoadBalancerId,
      protocol: 'TCPSSL',
      port: 8443,
      settings: {
        ...common,
        ServerGroupId: preserveGroup.ServerGroupId,
        ListenerDescription: 'tcpssl_8443_preserve_client_ip',
      },
      dataPlane: true,
    }),
  ];
}
