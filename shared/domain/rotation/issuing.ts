/**
 * Which sub-CA issues client certificates while a CA rotation runs (docs/rotation.md "Issuance follows the
 * rotation"): the configured one (PCA_PARENT_IDENTIFIER) until the listeners trust the new CA, the rotation's new
 * one from the switch on, the configured one again after a rollback. Pure: the rotation is read by the caller.
 */
import type { CaRotation, RotationStage } from './ca-rotation.js';

/** Stages in which the listeners trust the new CA (a switch in flight or a rollback still issues from the old one). */
const SWITCHED: readonly RotationStage[] = ['switched', 'finishing', 'finished'];
/** Stages in which the rotation's new sub-CA has issued certificates that are still meant to be used. */
const LIVE: readonly RotationStage[] = ['preparing', 'prepared', 'switching', 'switched', 'finishing'];

type RotationSides = Pick<CaRotation, 'stage' | 'from' | 'to'>;

/**
 * A rotation speaks only when it moved away from the configured sub-CA: once the operator sets
 * PCA_PARENT_IDENTIFIER to the new sub-CA (or to a third one), the configuration decides again.
 */
function follows(rotation: RotationSides | undefined, configured: string): rotation is RotationSides {
  return rotation !== undefined && rotation.from.issuingCa === configured && rotation.to.issuingCa !== configured;
}

/** The sub-CA new certificates and renewals come from now. */
export function issuingSubCa(rotation: RotationSides | undefined, configured: string): string {
  return follows(rotation, configured) && SWITCHED.includes(rotation.stage) ? rotation.to.issuingCa : configured;
}

/**
 * The sub-CAs a proof of possession may chain to: the configured one, and the rotation's new one while its
 * certificates are in use (from prepare to finish, and after it while issuance still follows the rotation).
 */
export function acceptedSubCas(rotation: RotationSides | undefined, configured: string): string[] {
  if (!follows(rotation, configured)) return [configured];
  const live = LIVE.includes(rotation.stage) || issuingSubCa(rotation, configured) !== configured;
  return live ? [configured, rotation.to.issuingCa] : [configured];
}
