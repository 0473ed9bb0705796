/**
 * The desired state of NLB TCPSSL listeners with mutual TLS: what `config/listeners.yaml` declares.
 * Validated once at the edge (strict: an unknown or misspelled key is an error, not silently ignored),
 * then resolved into `ListenerMtls` records the rest of the reconciler works on.
 */
import * as z from 'zod';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../../errors/index.js';
import { LISTENER_ID_PATTERN, listenerBaseId } from './listener-id.js';
import { ManagedServerCertificateSchema, type ManagedServerCertificate } from './managed-certificate.js';

/**
 * NLB's system TLS policies, as CreateListener.SecurityPolicyId's model lists them; custom policies are `tls-...`
 * ids (CreateSecurityPolicy's answer). Source: contracts/nlb-2022-04-30/_vocabulary.json (a unit test keeps this
 * list equal to it).
 */
export const SYSTEM_TLS_POLICIES = [
  'tls_cipher_policy_1_0',
  'tls_cipher_policy_1_1',
  'tls_cipher_policy_1_2',
  'tls_cipher_policy_1_2_strict',
  'tls_cipher_policy_1_2_strict_with_1_3',
] as const;

const RegionSchema = z.string().regex(/^[a-z]{2,}-[a-z0-9-]+$/, 'a region id such as cn-hangzhou');
const HostSchema = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/,
    'a DNS host name',
  );
const CaRefSchema = z.union([
  z.literal('default'),
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a PCA identifier or 'default'"),
]);

/** `on`/`off` as the issue words it; YAML booleans are accepted too. Never defaulted: turning mutual auth off must be explicit. */
const MutualAuthSchema = z.union([z.boolean(), z.enum(['on', 'off'])]).transform((v) => v === true || v === 'on');

export const ProbeSchema = z.strictObject({
  /** The name clients use: the server certificate must cover it. */
  host: HostSchema,
  port: z.number().int().min(1).max(65535),
  /** The TLS server name sent in the handshake; defaults to `host`. */
  sni: HostSchema.optional(),
  /** Where to connect; defaults to `host` (set it when the name does not resolve from where the reconciler runs). */
  address: z.string().min(1).max(253).optional(),
  /** `http`: send `GET / HTTP/1.1` and read the answer's first bytes; `none`: send nothing, only watch for a refusal. */
  request: z.enum(['http', 'none']).default('http'),
});

export const ListenerDeclarationSchema = z
  .strictObject({
    /** Free text shown in plans. */
    name: z.string().max(100).optional(),
    region: RegionSchema,
    listenerId: z.string().regex(LISTENER_ID_PATTERN, 'an NLB listener id (lsn-... or lsn-...@port)'),
    mutualAuth: MutualAuthSchema,
    /** The CA the listener trusts: a PCA identifier, or `default` (the deployment's configured CA). Required when mutual auth is on. */
    ca: CaRefSchema.optional(),
    serverCertificate: z.union([
      z.strictObject({
        /** What `UploadUserCertificate` returned; the listener gets CAS's CertIdentifier for it, read from CAS. */
        certId: z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).transform(String),
        /** No longer used: kept only to name the fix in the error (see superRefine). */
        region: z.unknown().optional(),
      }),
      /** Issued, uploaded, rotated and retired by the reconciler (shared/listeners/managed-certificates.ts). */
      z.strictObject({ managed: ManagedServerCertificateSchema }),
    ]),
    securityPolicy: z.union([
      z.enum(SYSTEM_TLS_POLICIES),
      z.string().regex(/^tls-[A-Za-z0-9]{1,64}$/, 'a system policy (tls_cipher_policy_...) or a custom tls-... id'),
    ]),
    probe: ProbeSchema,
  })
  .superRefine((l, ctx) => {
    if (l.mutualAuth && !l.ca)
      ctx.addIssue({ code: 'custom', path: ['ca'], message: 'ca is required when mutualAuth is on' });
    if (!l.mutualAuth && l.ca)
      ctx.addIssue({ code: 'custom', path: ['ca'], message: 'ca applies only when mutualAuth is on; remove it' });
    if ('certId' in l.serverCertificate && l.serverCertificate.region !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['serverCertificate', 'region'],
        message:
          "is no longer used: the listener takes CAS's CertIdentifier (<CertId>-<CAS site>, not the listener's region), which reconcile reads from CAS; remove it",
      });
  });

export const DesiredStateSchema = z
  .strictObject({
    version: z.literal(1),
    listeners: z.array(ListenerDeclarationSchema).min(1).max(2000),
  })
  .superRefine((s, ctx) => {
    // lsn-abc and lsn-abc@443 are the same listener.
    const seen = new Set<string>();
    s.listeners.forEach((l, i) => {
      const base = listenerBaseId(l.listenerId);
      if (seen.has(base))
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', i, 'listenerId'],
          message: `${l.listenerId} is declared twice`,
        });
      seen.add(base);
    });
  });

export type DesiredStateDocument = z.infer<typeof DesiredStateSchema>;
export type ListenerDeclaration = z.infer<typeof ListenerDeclarationSchema>;

/** One listener as it should be, with every reference resolved to the ids the NLB API uses. */
export interface ListenerMtls {
  name?: string;
  region: string;
  listenerId: string;
  mutualAuth: boolean;
  /** PCA identifier of the CA to trust (what UpdateListenerAttribute is sent); present exactly when mutual auth is on. */
  caCertificateId?: string;
  /**
   * The certificate store's CertId; NLB takes CAS's `CertIdentifier` for it, read from CAS at run time (D6).
   * With a managed certificate: the one the reconciler put in the store ('' before the first one exists).
   */
  serverCertId: string;
  /** Set when the reconciler manages the server certificate (`serverCertificate.managed`). */
  managedCertificate?: ManagedServerCertificate;
  securityPolicyId: string;
  probe: { host: string; port: number; sni: string; address: string; request: 'http' | 'none' };
}

/** Parses YAML (or JSON, which is YAML) and validates it; errors name the path of each bad field. */
export function parseDesiredState(text: string): DesiredStateDocument {
  let raw: unknown;
  try {
    raw = parseYaml(text, { strict: true, uniqueKeys: true });
  } catch (err) {
    throw new ValidationError(
      'DESIRED_STATE_INVALID',
      `The desired state is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  const parsed = DesiredStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ValidationError('DESIRED_STATE_INVALID', `The desired state is invalid: ${issues.join('; ')}`, {
      details: { issues },
    });
  }
  return parsed.data;
}

/** Replaces `ca: default` with the configured CA, and a managed certificate's `issuer: default` with its sub-CA. */
export function resolveDesiredState(
  doc: DesiredStateDocument,
  options: { defaultCaIdentifier?: string; defaultServerCertificateIssuer?: string },
): ListenerMtls[] {
  return doc.listeners.map((l) => {
    let caCertificateId: string | undefined;
    if (l.mutualAuth) {
      if (l.ca === 'default') {
        if (!options.defaultCaIdentifier) {
          throw new ValidationError(
            'DESIRED_STATE_INVALID',
            `${l.listenerId}: ca is 'default' but no default CA is configured (RECONCILE_DEFAULT_CA)`,
          );
        }
        caCertificateId = options.defaultCaIdentifier;
      } else {
        caCertificateId = l.ca;
      }
    }
    return {
      ...(l.name ? { name: l.name } : {}),
      region: l.region,
      listenerId: l.listenerId,
      mutualAuth: l.mutualAuth,
      ...(caCertificateId ? { caCertificateId } : {}),
      ...serverCertificateOf(l, options.defaultServerCertificateIssuer),
      securityPolicyId: l.securityPolicy,
      probe: {
        host: l.probe.host,
        port: l.probe.port,
        sni: l.probe.sni ?? l.probe.host,
        address: l.probe.address ?? l.probe.host,
        request: l.probe.request,
      },
    };
  });
}

function serverCertificateOf(
  l: ListenerDeclaration,
  defaultIssuer: string | undefined,
): Pick<ListenerMtls, 'serverCertId' | 'managedCertificate'> {
  if ('certId' in l.serverCertificate) return { serverCertId: l.serverCertificate.certId };
  const m = l.serverCertificate.managed;
  const issuer = m.issuer === 'default' ? defaultIssuer : m.issuer;
  if (!issuer)
    throw new ValidationError(
      'DESIRED_STATE_INVALID',
      `${l.listenerId}: serverCertificate.managed.issuer is 'default' but no issuing sub-CA is configured (SERVER_CERTIFICATE_ISSUER or PCA_PARENT_IDENTIFIER)`,
    );
  return {
    serverCertId: '',
    managedCertificate: {
      names: m.names,
      keyAlgorithm: m.keyAlgorithm,
      validityDays: m.validityDays,
      ...(m.renewBeforeDays !== undefined ? { renewBeforeDays: m.renewBeforeDays } : {}),
      issuer,
      retireAfterHours: m.retireAfterHours,
    },
  };
}
