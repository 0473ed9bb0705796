// EventBridge locally: CloudEvents completed with Alibaba's fields, and trigger filter patterns.
import { eventPatternMatcher, toCloudEvent } from '../../../local/runner/cloud-events.js';

const meta = { accountId: '1234567890123456', region: 'cn-hangzhou', now: new Date('2026-01-01T00:00:00Z') };

describe('toCloudEvent', () => {
  it('fills the envelope as EventBridge delivers it', () => {
    const event = toCloudEvent(
      { type: 'renew.requested', source: 'ops', data: { certificateId: 'cc-abc' }, traceparent: 't' },
      meta,
    );
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'renew.requested',
      source: 'ops',
      time: '2026-01-01T00:00:00.000Z',
      datacontenttype: 'application/json',
      data: { certificateId: 'cc-abc' },
      aliyunaccountid: '1234567890123456',
      aliyunregionid: 'cn-hangzhou',
      aliyuneventbusname: 'default',
      traceparent: 't',
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['no type', { source: 'x' }],
    ['a wrong specversion', { type: 't', specversion: '0.3' }],
    ['not an object', 'renew'],
  ])('refuses %s', (_name, input) => {
    expect(() => toCloudEvent(input, meta)).toThrow();
  });
});

describe('eventPatternMatcher', () => {
  const event = toCloudEvent(
    { type: 'renew.requested', source: 'acs.custom', subject: 'cc-abc', data: { certificateId: 'cc-abc', n: 1 } },
    meta,
  );

  it.each([
    ['type list', { type: ['renew.requested', 'other'] }, true],
    ['type mismatch', { type: ['other'] }, false],
    ['prefix', { source: [{ prefix: 'acs.' }] }, true],
    ['suffix miss', { source: [{ suffix: '.oss' }] }, false],
    ['nested data', { data: { certificateId: [{ prefix: 'cc-' }] } }, true],
    ['nested data miss', { data: { certificateId: ['cc-other'] } }, false],
    ['exists true', { subject: [{ exists: true }] }, true],
    ['exists false on a present field', { subject: [{ exists: false }] }, false],
    ['anything-but', { type: [{ 'anything-but': ['x', 'y'] }] }, true],
    ['anything-but the value', { type: [{ 'anything-but': 'renew.requested' }] }, false],
    ['all fields must match', { type: ['renew.requested'], source: ['elsewhere'] }, false],
    ['empty pattern matches all', {}, true],
  ])('%s', (_name, pattern, expected) => {
    expect(eventPatternMatcher(JSON.stringify(pattern))(event)).toBe(expected);
  });

  it.each([
    ['a scalar rule', { type: 'renew.requested' }],
    ['an unsupported matcher', { data: { n: [{ numeric: ['>', 0] }] } }],
    ['not JSON', 'type=renew'],
  ])('refuses %s at load time', (_name, pattern) => {
    expect(() => eventPatternMatcher(typeof pattern === 'string' ? pattern : JSON.stringify(pattern))).toThrow();
  });
});
