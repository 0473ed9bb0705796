/** The XML documents the emulated OSS answers with, element order as OSS writes them. */
import type { OssError } from './errors.js';
import type { ObjectMeta } from './bucket-store.js';

export function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

function element(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function errorXml(error: OssError, requestId: string, hostId: string): string {
  const details = Object.entries(error.details)
    .map(([k, v]) => `  ${element(k, v)}\n`)
    .join('');
  return (
    `${XML_HEADER}<Error>\n  ${element('Code', error.code)}\n  ${element('Message', error.message)}\n` +
    `  ${element('RequestId', requestId)}\n  ${element('HostId', hostId)}\n${details}</Error>\n`
  );
}

export interface ListObjectsV2Result {
  bucket: string;
  prefix: string;
  delimiter: string;
  maxKeys: number;
  startAfter?: string;
  continuationToken?: string;
  encodingType?: 'url';
  truncated: boolean;
  nextContinuationToken?: string;
  objects: Array<{ key: string; meta: ObjectMeta }>;
  commonPrefixes: string[];
  fetchOwner: boolean;
  ownerId: string;
}

export function listObjectsV2Xml(r: ListObjectsV2Result): string {
  // With encoding-type=url, OSS URL-encodes every key-bearing element so any byte survives the XML.
  const name = (value: string) => (r.encodingType === 'url' ? encodeURIComponent(value) : value);
  const lines: string[] = [
    element('Name', r.bucket),
    element('Prefix', name(r.prefix)),
    ...(r.startAfter !== undefined ? [element('StartAfter', name(r.startAfter))] : []),
    ...(r.continuationToken !== undefined ? [element('ContinuationToken', r.continuationToken)] : []),
    element('MaxKeys', r.maxKeys),
    element('Delimiter', name(r.delimiter)),
    ...(r.encodingType ? [element('EncodingType', r.encodingType)] : []),
    element('IsTruncated', r.truncated),
    ...(r.nextContinuationToken ? [element('NextContinuationToken', r.nextContinuationToken)] : []),
  ];
  for (const { key, meta } of r.objects) {
    const owner = r.fetchOwner ? `<Owner>${element('ID', r.ownerId)}${element('DisplayName', r.ownerId)}</Owner>` : '';
    lines.push(
      `<Contents>${element('Key', name(key))}${element('LastModified', new Date(meta.lastModified).toISOString())}` +
        `${element('ETag', `"${meta.etag}"`)}${element('Type', 'Normal')}${element('Size', meta.size)}` +
        `${element('StorageClass', 'Standard')}${owner}</Contents>`,
    );
  }
  for (const prefix of r.commonPrefixes)
    lines.push(`<CommonPrefixes>${element('Prefix', name(prefix))}</CommonPrefixes>`);
  lines.push(element('KeyCount', r.objects.length + r.commonPrefixes.length));
  return `${XML_HEADER}<ListBucketResult>\n${lines.map((l) => `  ${l}\n`).join('')}</ListBucketResult>\n`;
}
