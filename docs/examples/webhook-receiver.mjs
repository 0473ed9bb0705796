/* eslint-disable no-console -- a command-line example: it reports to its terminal */
// A webhook receiver for nlb-mtls-autopilot events (docs/renewal.md#verifying-a-webhook), Node 20.
//   npm install standardwebhooks
//   WEBHOOK_SECRET=whsec_... PORT=8787 node webhook-receiver.mjs
// certificate.renewed carries the new generation's links and, for a server-key certificate, its new .p12 password,
// sent nowhere else: the receiver keeps them in renewed-<id>-g<generation>.json (owner-only, in SAVE_DIR, default
// the working directory) and prints only the file name.
// It verifies every request with YOUR TENANT's secret (GET /v1/webhook-secret) using the maintained
// `standardwebhooks` verifier (signature over id.timestamp.body, timestamps older than 5 minutes refused), and
// handles each event id once: a redelivery (same webhook-id) is acknowledged and dropped.
// During a secret rotation list both secrets, new first: WEBHOOK_SECRET=whsec_new,whsec_old.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

const verifiers = String(process.env.WEBHOOK_SECRET ?? '')
  .split(',')
  .filter(Boolean)
  .map((secret) => new Webhook(secret.trim()));
if (verifiers.length === 0) throw new Error('set WEBHOOK_SECRET to your tenant secret (whsec_...)');
const port = Number(process.env.PORT ?? 8787);
const saveDir = process.env.SAVE_DIR ?? process.cwd();
const seen = new Map(); // event id -> when it was first handled; older than the replay window is forgotten
const REPLAY_WINDOW_MS = 10 * 60_000;

function verify(body, headers) {
  for (const verifier of verifiers) {
    try {
      return verifier.verify(body, headers);
    } catch {
      // try the next secret
    }
  }
  return undefined;
}

createServer((req, res) => {
  let body = '';
  req
    .setEncoding('utf8')
    .on('data', (chunk) => (body += chunk))
    .on('end', () => {
      const event = verify(body, req.headers);
      if (!event) {
        console.log('refused: bad or stale signature');
        return res.writeHead(401).end();
      }
      const now = Date.now();
      for (const [id, at] of seen) if (now - at > REPLAY_WINDOW_MS) seen.delete(id);
      if (seen.has(event.id)) {
        console.log('duplicate', event.id, 'dropped');
        return res.writeHead(204).end();
      }
      seen.set(event.id, now);
      // Handle it: event.type is certificate.renewed | certificate.renewal_failed | certificate.expiring.
      if (event.type === 'certificate.renewed') {
        // The links expire (RENEW_LINK_SECONDS) and the password is sent only here: keep both, owner-only.
        const { certificate, downloads, p12Password } = event.data;
        const name = `renewed-${certificate.id}-g${certificate.generation}.json`.replace(/[^A-Za-z0-9._-]/g, '_');
        const file = join(saveDir, name);
        const saved = { certificateId: certificate.id, generation: certificate.generation, downloads, p12Password };
        writeFileSync(file, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
        const what = p12Password ? 'links and the new .p12 password' : 'links';
        console.log(event.type, event.subject, `generation ${certificate.generation}: ${what} saved to ${file}`);
      } else {
        console.log(event.type, event.subject, JSON.stringify(event.data.error ?? { daysLeft: event.data.daysLeft }));
      }
      res.writeHead(204).end();
    });
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}/hooks`));
