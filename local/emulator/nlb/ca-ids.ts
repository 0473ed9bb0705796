/**
 * Which id a listener reports for the CA it trusts. No page defines it (audit D5, revised): the PCA identifier is
 * the likely form and the default here; `nlb` makes the emulator report an id of NLB's own (`<11 hex>-<region>`,
 * the shape of the UpdateListenerAttribute page's example), so tests prove the code reads what NLB reports
 * (GetListenerAttribute, ListListenerCertificates CertType=Ca) instead of assuming it equals the PCA identifier.
 * ASSUMED either way until `npm run doctor -- --cloud` shows the real form.
 */
import { createHash } from 'node:crypto';

export type CaIdForm = 'pca' | 'nlb';

export interface CaIdMapper {
  /** The id the listener will report for a CA given as a PCA identifier or in the reported form; undefined: unknown CA. */
  onListener(id: string): string | undefined;
  /** The PCA identifier behind an id a listener reports; undefined: unknown. */
  toPca(reportedId: string): string | undefined;
}

export function createCaIdMapper(form: CaIdForm, region: string, caIdentifiers: () => string[]): CaIdMapper {
  const nlbForm = (pcaId: string) => `${createHash('sha256').update(pcaId).digest('hex').slice(0, 11)}-${region}`;
  const isPca = (id: string) => caIdentifiers().includes(id);
  const byNlbForm = (id: string) => caIdentifiers().find((pca) => nlbForm(pca) === id);
  if (form === 'pca')
    return { onListener: (id) => (isPca(id) ? id : undefined), toPca: (id) => (isPca(id) ? id : undefined) };
  return {
    onListener: (id) => (isPca(id) ? nlbForm(id) : byNlbForm(id) ? id : undefined),
    toPca: (id) => byNlbForm(id),
  };
}
