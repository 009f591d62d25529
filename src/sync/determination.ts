// Determination (Defender) and classification reason (Sentinel) ride along with a classification
// change, but the vocabularies differ and each portal refuses the other's values, so a
// propagated classification carries a determination translated into the target's vocabulary.
// Pure.
//
// Sentinel classificationReason (Incidents.json, 2025-09-01): SuspiciousActivity,
// SuspiciousButExpected, IncorrectAlertLogic, InaccurateData. Closing as BenignPositive requires a
// reason, and SuspiciousButExpected is the only benign one.
// Graph alertDetermination (security-incident-update.md): unknown, apt, malware, securityPersonnel,
// securityTesting, unwantedSoftware, other, multiStagedAttack, compromisedUser, phishing,
// maliciousUserActivity, clean / notMalicious, insufficientData / notEnoughDataToValidate,
// confirmedUserActivity, lineOfBusinessApplication.
import type { Classification, Portal } from '../domain/incident.ts';

/** The one Sentinel reason that fits BenignPositive; also what Sentinel requires to close as benign. */
export const SENTINEL_BENIGN_REASON = 'SuspiciousButExpected';

const GRAPH_INSUFFICIENT_DATA = new Set(['insufficientdata', 'notenoughdatatovalidate']);

/**
 * The determination to send to `target` for `classification`, given the source portal's own
 * determination (verbatim, may be undefined). Returns undefined when the target should get none.
 * Same portal: passed through unchanged.
 */
export function translateDetermination(
  source: Portal,
  target: Portal,
  classification: Classification,
  determination: string | undefined,
): string | undefined {
  if (source === target) return determination;
  if (target === 'sentinel') return sentinelReasonFor(classification, determination);
  // Sentinel's four reasons say less than Graph's list; 'other' is valid for every Graph
  // classification, in both documented revisions, and does not invent a finding.
  if (classification === 'undetermined') return 'unknown';
  if (classification === 'falsePositive' && determination?.toLowerCase() === 'inaccuratedata') return 'insufficientData';
  return 'other';
}

/** The Sentinel classificationReason for a classification, refined by a Graph determination. */
export function sentinelReasonFor(classification: Classification, graphDetermination: string | undefined): string | undefined {
  switch (classification) {
    case 'truePositive':
      return 'SuspiciousActivity';
    case 'benignPositive':
      return SENTINEL_BENIGN_REASON;
    case 'falsePositive':
      return graphDetermination && GRAPH_INSUFFICIENT_DATA.has(graphDetermination.toLowerCase()) ? 'InaccurateData' : 'IncorrectAlertLogic';
    case 'undetermined':
      return undefined;
  }
}
