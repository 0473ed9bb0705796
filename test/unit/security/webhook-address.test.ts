/**
 * Issue 11 item 1: webhook destinations are judged against IANA's special-purpose registries, with IPv4 embedded
 * in IPv6 (mapped, compatible, NAT64, 6to4, Teredo) unwrapped. These literals all passed the old prefix check.
 */
import { classifyAddress } from '../../../shared/notify/address-policy.js';
import { checkWebhookUrl } from '../../../shared/notify/webhook-url.js';

const REFUSED = [
  '::169.254.169.254', // IPv4-compatible form of the metadata address
  '::a9fe:a9fe',
  '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
  '64:ff9b::10.0.0.1',
  '64:ff9b:1::1', // local-use NAT64
  '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254
  '2002:7f00:1::1', // 6to4 of 127.0.0.1
  '2001:0:4136:e378:8000:63bf:f5ff:fffe', // Teredo, client 10.0.0.1
  'fec0::1', // site-local
  'febf::1', // link-local beyond the fe80 prefix
  'fe90::1',
  'ff02::1', // multicast
  '2001:db8::1', // documentation
  '::ffff:7f00:1', // mapped loopback in hex
  '::ffff:169.254.169.254',
  '198.18.0.1', // benchmarking
  '198.19.255.254',
  '192.0.0.1', // IETF protocol assignments
  '192.0.2.10', // TEST-NET-1
  '224.0.0.1', // multicast
  '239.255.255.250',
  '240.0.0.1', // reserved
  '255.255.255.255', // broadcast
  '100.100.100.200', // Alibaba Cloud metadata (shared address space)
  '0.0.0.0',
];

const ALLOWED = [
  '8.8.8.8',
  '47.96.1.1',
  '2606:4700:4700::1111',
  '64:ff9b::808:808',
  '2002:808:808::1',
  '::ffff:8.8.8.8',
];

describe('classifyAddress', () => {
  it.each(REFUSED)('refuses %s', (address) => {
    expect(classifyAddress(address)).toMatchObject({ allowed: false });
  });
  it.each(ALLOWED)('allows %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true, address });
  });
});

describe('checkWebhookUrl with IP literals', () => {
  it.each(REFUSED)('refuses https://[%s]/ at issue time', (address) => {
    const host = address.includes(':') ? `[${address}]` : address;
    let code: string | undefined;
    try {
      checkWebhookUrl(`https://${host}/hook`, { allowLoopback: false });
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('WEBHOOK_URL_FORBIDDEN');
  });
});
