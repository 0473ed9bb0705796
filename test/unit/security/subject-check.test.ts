// Issue 11 item 5: the whole subject of an issued certificate is checked, not only its CN. Attributes the CSR did
// not carry are accepted only as CAS's documented defaults (O "Alibaba Inc.", OU "Aliyun CDN") or the sub-CA's own.
import { generateKeyPairSync } from 'node:crypto';
import { createCertificateAuthority } from '../../../shared/pki/index.js';
import { issuedSubjectProblem } from '../../../shared/pki/subject-check.js';
import { forgeCsrPem, OIDS } from '../../helpers/csr-forge.js';

const notAfter = new Date(Date.now() + 86_400_000);
const csr = (subject: Array<{ oid: string; value: string }>) =>
  forgeCsrPem({
    privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    subject: subject.map((a) => [a]),
  });

it.each<[string, string | undefined, Array<{ oid: string; value: string }>, string | undefined]>([
  ['only the CN asked for and issued', undefined, [{ oid: OIDS.cn, value: 'x' }], undefined],
  ['an O nobody asked for', 'Evil Corp', [{ oid: OIDS.cn, value: 'x' }], 'subject O'],
  ["CAS's documented default O", 'Alibaba Inc.', [{ oid: OIDS.cn, value: 'x' }], undefined],
  [
    'the O the CSR asked for',
    'Acme',
    [
      { oid: OIDS.cn, value: 'x' },
      { oid: OIDS.o, value: 'Acme' },
    ],
    undefined,
  ],
  [
    'another O than the CSR asked for',
    'Evil',
    [
      { oid: OIDS.cn, value: 'x' },
      { oid: OIDS.o, value: 'Acme' },
    ],
    'subject O',
  ],
])('%s -> %s', async (_label, organization, csrSubject, expected) => {
  // prepare: the "issued" certificate carries CN=x and the given O (a CA certificate serves as one here)
  const issuing = await createCertificateAuthority({ commonName: 'Sub CA', organization: 'CA Org', notAfter });
  const issued = await createCertificateAuthority({ commonName: 'x', organization, notAfter, issuer: issuing });
  // act
  const problem = issuedSubjectProblem({
    certificatePem: issued.certificatePem,
    csrPem: csr(csrSubject),
    commonName: 'x',
    issuingCaPem: issuing.certificatePem,
  });
  // assess
  expect(problem).toBe(expected);
});
