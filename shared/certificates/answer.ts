/** The answer for a certificate as its record stands now: the view and fresh links to the current bundle. */
import type { ClientCertificate } from '../domain/client-certificate.js';
import { signDownloads } from './bundles.js';
import type { ServiceContext } from './context.js';
import { toView, type IssueResult } from './view.js';

/** No password: only the request that made a generation's password ever answers with it. */
export async function currentAnswer(ctx: ServiceContext, record: ClientCertificate): Promise<IssueResult> {
  const now = ctx.now();
  const downloads = await signDownloads(
    ctx.store,
    record.current.bundle,
    record.commonName,
    ctx.config.linkDefaultSeconds,
    now,
  );
  return { ...toView(record, now), downloads };
}
