// Prepare: certificate names and hosts. Act: certificateCoversHost. Assess: the answer TLS clients would give.
import { certificateCoversHost } from '../../../shared/domain/listeners/hostname.js';

describe('certificateCoversHost', () => {
  it.each([
    [{ dnsNames: ['www.example.com'] }, 'www.example.com', true],
    [{ dnsNames: ['WWW.Example.com'] }, 'www.example.COM', true],
    [{ dnsNames: ['www.example.com.'] }, 'www.example.com', true],
    [{ dnsNames: ['api.example.com', 'www.example.com'] }, 'www.example.com', true],
    [{ dnsNames: ['*.example.com'] }, 'www.example.com', true],
    [{ dnsNames: ['*.example.com'] }, 'a.b.example.com', false],
    [{ dnsNames: ['*.example.com'] }, 'example.com', false],
    [{ dnsNames: ['*.com'] }, 'example.com', false],
    [{ dnsNames: ['example.com'] }, 'www.example.com', false],
    // The CN counts only when there are no DNS names, as TLS clients do.
    [{ commonName: 'www.example.com', dnsNames: [] }, 'www.example.com', true],
    [{ commonName: 'www.example.com', dnsNames: ['api.example.com'] }, 'www.example.com', false],
    [{ dnsNames: [] }, 'www.example.com', false],
  ])('%j covers %s: %s', (cert, host, expected) => {
    expect(certificateCoversHost(cert, host)).toBe(expected);
  });
});
