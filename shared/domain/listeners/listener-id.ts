/**
 * NLB listener ids come in two forms in the published models: `lsn-bp1bpn0kn908w4nbw****@443` (GetListenerAttribute,
 * UpdateListenerAttribute, CreateListener's answer) and `lsn-ga6sjjcll6ou34l1et****` (ListListeners' example)
 * (contracts/nlb-2022-04-30/_vocabulary.json listenerIdExamples; audit D7). Both name the same listener.
 */

/** `lsn-...` with an optional `@<port>`. */
export const LISTENER_ID_PATTERN = /^lsn-[A-Za-z0-9-]{1,64}(@\d{1,5})?$/;

/** `lsn-abc@443` -> `lsn-abc`. */
export function listenerBaseId(listenerId: string): string {
  const at = listenerId.indexOf('@');
  return at < 0 ? listenerId : listenerId.slice(0, at);
}

/** The same listener, whichever form each id is in (a port suffix on both must agree). */
export function sameListener(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.includes('@') && b.includes('@')) return false;
  return listenerBaseId(a) === listenerBaseId(b);
}
