// Which webhook URLs are called: https to public hosts; plain http only to loopback and only when allowed.
import { checkWebhookUrl } from '../../../shared/notify/webhook-url.js';

describe('checkWebhookUrl', () => {
  it.each<[string, boolean, string | undefined]>([
    // url, allowLoopback, expected error code (undefined = accepted)
    ['https://hooks.example.com/certs', false, undefined],
    ['https://hooks.example.com:8443/a?b=c', false, undefined],
    ['http://hooks.example.com/certs', false, 'WEBHOOK_URL_INSECURE'],
    ['http://hooks.example.com/certs', true, 'WEBHOOK_URL_INSECURE'],
    ['http://127.0.0.1:9999/hook', true, undefined],
    ['http://localhost:9999/hook', true, undefined],
    ['http://[::1]:9999/hook', true, undefined],
    ['http://127.0.0.1:9999/hook', false, 'WEBHOOK_URL_INSECURE'],
    ['https://127.0.0.1/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://10.1.2.3/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://172.20.0.1/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://192.168.1.1/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://169.254.169.254/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://100.100.100.200/latest/meta-data', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://[fd00::1]/hook', false, 'WEBHOOK_URL_FORBIDDEN'],
    ['https://172.32.0.1/hook', false, undefined],
    ['https://user:pass@hooks.example.com/', false, 'WEBHOOK_URL_INVALID'],
    ['ftp://hooks.example.com/', false, 'WEBHOOK_URL_INSECURE'],
    ['not a url', false, 'WEBHOOK_URL_INVALID'],
  ])('%s (loopback allowed: %s)', (url, allowLoopback, code) => {
    // Act
    let thrown: unknown;
    try {
      checkWebhookUrl(url, { allowLoopback });
    } catch (err) {
      thrown = err;
    }
    // Assess
    expect((thrown as { code?: string } | undefined)?.code).toBe(code);
  });
});
