// Prepare: the committed contracts and requests/answers that keep or break them, one way at a time. Act: the
// emulator's contract checks. Assess: what is a violation (fails the test run), what is the gateway's own
// error (MissingParameter, InvalidParameter) and what passes.
import { checkRpcRequest, checkRoaRequest } from '../../../local/emulator/contracts/check-request.js';
import { checkValue } from '../../../local/emulator/contracts/check-response.js';
import { checkOssRequest, checkXmlAgainst } from '../../../local/emulator/contracts/check-oss.js';
import { contractFor, type Contract } from '../../../local/emulator/contracts/load.js';

const contract = (product: string, version: string, action: string): Contract => {
  const c = contractFor(product, version, action);
  if (!c) throw new Error(`no contract ${product}/${version}/${action}`);
  return c;
};
const update = contract('nlb', '2022-04-30', 'UpdateListenerAttribute');
const listListeners = contract('nlb', '2022-04-30', 'ListListeners');
const describeClient = contract('cas', '2020-06-30', 'DescribeClientCertificate');

describe('RPC request check', () => {
  it.each<[string, Contract, Record<string, string>, Partial<ReturnType<typeof checkRpcRequest>>]>([
    [
      'a request as the model has it',
      update,
      { ListenerId: 'lsn-1@443', 'CaCertificateIds.1': 'ca', CaEnabled: 'true' },
      {},
    ],
    [
      'a parameter the action does not have',
      update,
      { ListenerId: 'lsn-1', Bogus: 'x' },
      { violations: ['parameter Bogus is not a parameter of UpdateListenerAttribute'] },
    ],
    [
      'a list sent flat (repeated keys merge into one)',
      update,
      { ListenerId: 'lsn-1', CaCertificateIds: 'a,b' },
      {
        violations: [
          'CaCertificateIds is a list: send CaCertificateIds.1, CaCertificateIds.2, ... (got CaCertificateIds)',
        ],
      },
    ],
    [
      'a single value sent as a list',
      update,
      { ListenerId: 'lsn-1', 'SecurityPolicyId.1': 'tls_cipher_policy_1_2' },
      { violations: ['SecurityPolicyId is a single value, sent as SecurityPolicyId.1'] },
    ],
    ['a required parameter left out', update, { CaEnabled: 'true' }, { missing: 'ListenerId' }],
    [
      'a boolean that is not one',
      update,
      { ListenerId: 'lsn-1', CaEnabled: 'yes' },
      { invalid: { name: 'CaEnabled', why: 'A boolean (true or false) is expected.' } },
    ],
    [
      'a number outside its range',
      update,
      { ListenerId: 'lsn-1', Mss: '1501' },
      { invalid: { name: 'Mss', why: 'The value must be from 0 to 1500.' } },
    ],
    [
      'a value not among the valid ones',
      listListeners,
      { ListenerProtocol: 'HTTPS' },
      { invalid: { name: 'ListenerProtocol', why: 'Valid values: TCP, UDP, TCPSSL.' } },
    ],
    [
      'more ids than one call takes',
      listListeners,
      Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`ListenerIds.${i + 1}`, `lsn-${i}`])),
      { invalid: { name: 'ListenerIds', why: 'At most 20 items are allowed.' } },
    ],
    [
      'an object sent as the one JSON string the model asks for',
      update,
      { ListenerId: 'lsn-1', ProxyProtocolV2Config: '{"Ppv2VpcIdEnabled":true}' },
      {},
    ],
    [
      'a JSON parameter that is not JSON',
      update,
      { ListenerId: 'lsn-1', ProxyProtocolV2Config: '{not json' },
      { violations: ['ProxyProtocolV2Config is sent as one JSON string; got text that is not JSON'] },
    ],
  ])('%s', (_name, c, values, expected) => {
    expect(checkRpcRequest(c, values)).toEqual({ violations: [], ...expected });
  });
});

describe('response check', () => {
  it.each<[string, unknown, string[]]>([
    [
      'an answer as the model has it',
      { RequestId: 'r', Certificate: { Identifier: 'i', Sans: '[{"Type":2,"Value":"a.example"}]', AfterDate: 1 } },
      [],
    ],
    [
      'a field the model lacks',
      { RequestId: 'r', Certificate: { Identifier: 'i', Extra: 1 } },
      ['$.Certificate.Extra: not a field of the response model'],
    ],
    [
      'a number where the model has a string',
      { RequestId: 'r', Certificate: { SerialNumber: 12 } },
      ['$.Certificate.SerialNumber: expected a string, got 12'],
    ],
    [
      'a comma list where the model has a JSON array string (Sans)',
      { RequestId: 'r', Certificate: { Sans: 'a.example,b.example' } },
      ['$.Certificate.Sans: expected a JSON array in a string'],
    ],
    [
      'a value the model does not list',
      { RequestId: 'r', Certificate: { Status: 'ACTIVE' } },
      ['$.Certificate.Status: "ACTIVE" is not one of ISSUE,REVOKE'],
    ],
  ])('%s', (_name, answer, problems) => {
    expect(checkValue(describeClient.response.body!, answer)).toEqual(problems);
  });
});

describe('ROA and OSS request checks', () => {
  it('FC: only the action x-fc- headers and query keys', () => {
    const invoke = contract('fc', '2023-03-30', 'InvokeFunction');

    expect(
      checkRoaRequest(invoke, {
        headers: { 'x-fc-invocation-type': 'Async', 'x-acs-date': 'd' },
        query: ['qualifier'],
        headerPrefix: 'x-fc-',
      }),
    ).toEqual([]);
    expect(
      checkRoaRequest(invoke, { headers: { 'x-fc-bogus': '1' }, query: ['version'], headerPrefix: 'x-fc-' }),
    ).toEqual([
      'header x-fc-bogus is not a parameter of InvokeFunction',
      'query parameter version is not a parameter of InvokeFunction',
    ]);
  });

  it('OSS: operation headers, signature headers and presigned query keys pass; others do not', () => {
    const put = contract('oss', '2019-05-17', 'PutObject');
    const list = contract('oss', '2019-05-17', 'ListObjectsV2');

    expect(
      checkOssRequest(put, {
        headers: { 'x-oss-object-acl': 'private', 'x-oss-date': 'd', 'x-oss-meta-owner': 'me' },
        query: [],
      }),
    ).toEqual([]);
    expect(checkOssRequest(put, { headers: { 'x-oss-bogus': '1' }, query: [{ name: 'acl' }] })).toEqual([
      'header x-oss-bogus is not a parameter of PutObject',
      'query parameter acl is not a parameter of PutObject',
    ]);
    expect(checkOssRequest(list, { headers: {}, query: [{ name: 'list-type' }, { name: 'max-keys' }] })).toEqual([]);
    expect(
      checkXmlAgainst(list.response.body!, '<Name>b</Name><Contents><Key>k</Key><Bogus>1</Bogus></Contents>'),
    ).toEqual(['$.Contents.Bogus: not a field of the response model']);
  });
});
