/**
 * OSS requests as ali-oss sends them, held to the OSS 2019-05-17 contracts: every query key must be a parameter of
 * the operation (or part of a presigned URL's signature), every `x-oss-*` header a header of the operation (or one
 * the signature protocol carries). The ListObjectsV2 answer's XML elements must be fields of its response model.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Contract, Schema } from './load.js';

/** Headers of the signing protocol (OSS V1/V4 signatures) and ali-oss's own user-agent header, not of operations. */
const PROTOCOL_HEADERS = new Set(['x-oss-date', 'x-oss-content-sha256', 'x-oss-security-token', 'x-oss-user-agent']);
/** Query keys of presigned URLs: V4 (`x-oss-signature-version` ...) and V1 (`OSSAccessKeyId`, `Expires`, ...). */
const SIGNATURE_QUERY = new Set([
  'x-oss-signature-version',
  'x-oss-credential',
  'x-oss-date',
  'x-oss-expires',
  'x-oss-signature',
  'x-oss-additional-headers',
  'x-oss-security-token',
  'OSSAccessKeyId',
  'Expires',
  'Signature',
  'security-token',
]);

export function checkOssRequest(
  contract: Contract,
  request: { headers: IncomingHttpHeaders; query: Array<{ name: string }> },
): string[] {
  const params = contract.request.parameters;
  const headers = new Set(params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  const query = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
  // Query keys fixed in the operation's path (`/?list-type=2`).
  for (const m of contract.http.pathname.matchAll(/[?&]([^=&]+)/g)) query.add(m[1]);
  const violations: string[] = [];
  for (const name of Object.keys(request.headers)) {
    if (!name.startsWith('x-oss-') || PROTOCOL_HEADERS.has(name) || headers.has(name)) continue;
    if (name.startsWith('x-oss-meta-') && headers.has('x-oss-meta-*')) continue;
    violations.push(`header ${name} is not a parameter of ${contract.action}`);
  }
  for (const { name } of request.query)
    if (!query.has(name) && !SIGNATURE_QUERY.has(name))
      violations.push(`query parameter ${name} is not a parameter of ${contract.action}`);
  return violations;
}

/** Element names of a simple XML document (the emulator's own answers): `{Name: [values...]}` per level. */
function elements(xml: string): Array<{ name: string; inner: string }> {
  const out: Array<{ name: string; inner: string }> = [];
  const re = /<([A-Za-z][\w.-]*)>([\s\S]*?)<\/\1>/g;
  for (const m of xml.matchAll(re)) out.push({ name: m[1], inner: m[2] });
  return out;
}

/** Every element of `xml` (a list answer's root content) that the response model does not have. */
export function checkXmlAgainst(schema: Schema, xml: string, path = '$'): string[] {
  const problems: string[] = [];
  for (const { name, inner } of elements(xml)) {
    const field = schema.properties?.[name];
    if (!field) {
      problems.push(`${path}.${name}: not a field of the response model`);
      continue;
    }
    const nested = field.type === 'array' ? field.items : field;
    if (nested?.type === 'object') problems.push(...checkXmlAgainst(nested, inner, `${path}.${name}`));
  }
  return problems;
}

export function rootContent(xml: string): string {
  return xml.match(/<ListBucketResult>([\s\S]*)<\/ListBucketResult>/)?.[1] ?? '';
}
