/**
 * The files a caller downloads for one generation, and the signed links to them. Bundles are written
 * create-only: a retry that finds them already there keeps what is there (same key, certificate, password).
 */
import type { KeyObject } from 'node:crypto';
import type { BundleObjects, IssuanceMode, P12Profile } from '../domain/client-certificate.js';
import { ObjectExistsError, type ObjectStore } from '../domain/ports.js';
import type { P12PasswordOrigin } from '../pki/index.js';
import { bundleObjectKeys } from './ids.js';
import type { Download, Downloads } from './view.js';

export interface BundleInput {
  id: string;
  generation: number;
  mode: IssuanceMode;
  commonName: string;
  certificatePem: string;
  chainPems: string[];
  /** server-key mode only */
  privateKey?: KeyObject;
  p12Password?: string;
  /** Generated passwords keep the fast work factor; a caller's own gets keytool's (P12_PROFILES). */
  passwordOrigin?: P12PasswordOrigin;
  p12Profile: P12Profile;
  exampleUrl?: string;
}

/** Writes the generation's bundle objects (create-only) and returns their keys. */
export async function storeBundles(store: ObjectStore, input: BundleInput): Promise<BundleObjects> {
  // Loaded here, not at cold start: only issuance and renewal build bundles (docs/architecture.md, "Cold start").
  const { buildPemBundleZip, buildPkcs12, P12_PROFILES } = await import('../pki/bundle-builders.js');
  const keys = bundleObjectKeys(input.id, input.generation, input.mode);
  const writes: Array<{ key: string; build: () => Promise<Buffer> | Buffer; contentType: string }> = [];
  if (input.mode === 'server-key') {
    if (!input.privateKey || !input.p12Password)
      throw new Error('server-key bundles need the private key and the password');
    const privateKey = input.privateKey;
    const password = input.p12Password;
    writes.push({
      key: keys.p12!,
      contentType: 'application/x-pkcs12',
      build: () =>
        buildPkcs12({
          privateKey,
          certificatePem: input.certificatePem,
          chainPems: input.chainPems,
          password,
          passwordOrigin: input.passwordOrigin,
          profile: input.p12Profile,
          friendlyName: input.commonName,
        }),
    });
    writes.push({
      key: keys.pem!,
      contentType: 'application/zip',
      build: () =>
        buildPemBundleZip({
          certificatePem: input.certificatePem,
          chainPems: input.chainPems,
          privateKey,
          // The zip's client.key is encrypted with the .p12 password: no stored object holds a key in the clear.
          password,
          keyIterations: P12_PROFILES.modern.iterations[input.passwordOrigin ?? 'chosen'],
          commonName: input.commonName,
          exampleUrl: input.exampleUrl,
        }),
    });
  } else {
    writes.push({
      key: keys.certificate!,
      contentType: 'application/zip',
      build: () =>
        buildPemBundleZip({
          certificatePem: input.certificatePem,
          chainPems: input.chainPems,
          commonName: input.commonName,
          exampleUrl: input.exampleUrl,
        }),
    });
  }
  const built = await Promise.all(writes.map(async (w) => ({ ...w, body: await w.build() })));
  // One after the other, so "OSS fails on the n-th write" means the same object every run.
  for (const w of built) {
    try {
      await store.put(w.key, w.body, { contentType: w.contentType, ifAbsent: true });
    } catch (err) {
      if (!(err instanceof ObjectExistsError)) throw err;
    }
  }
  return keys;
}

export async function deleteBundles(store: ObjectStore, bundle: BundleObjects): Promise<void> {
  for (const key of [bundle.p12, bundle.pem, bundle.certificate]) if (key) await store.delete(key);
}

/** `alice@example.com` -> `alice_example.com`: a file name every OS accepts. */
export function downloadBaseName(commonName: string): string {
  const safe = commonName
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 64);
  return safe || 'client';
}

export async function signDownloads(
  store: ObjectStore,
  bundle: BundleObjects,
  commonName: string,
  expiresInSeconds: number,
  now: Date,
): Promise<Downloads> {
  const expiresAt = new Date(now.getTime() + expiresInSeconds * 1000).toISOString();
  const base = downloadBaseName(commonName);
  const link = async (key: string, filename: string): Promise<Download> => ({
    url: await store.signedGetUrl(key, { expiresInSeconds, filename }),
    expiresAt,
  });
  if (bundle.p12 && bundle.pem) {
    return { p12: await link(bundle.p12, `${base}.p12`), pem: await link(bundle.pem, `${base}-pem.zip`) };
  }
  if (bundle.certificate) return { certificate: await link(bundle.certificate, `${base}-certificate.zip`) };
  throw new Error('the record names no bundle objects');
}
