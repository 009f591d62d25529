// Alert evidence as Graph serves it (microsoft.graph.security.alertEvidence and its derived types).
// Evidence given to the control API is checked against the documented shapes and completed with the
// base type's properties, so what GET /alerts_v2 and $expand=alerts serve is what Graph would.
// Sources: see CONTRACT.md, "Alerts and evidence".

/** The v1.0 derived types of alertEvidence (resources/security-alertevidence.md). */
export const EVIDENCE_TYPES = [
  'amazonResourceEvidence', 'analyzedMessageEvidence', 'azureResourceEvidence', 'blobContainerEvidence', 'blobEvidence',
  'cloudApplicationEvidence', 'cloudLogonRequestEvidence', 'cloudLogonSessionEvidence', 'containerEvidence',
  'containerImageEvidence', 'containerRegistryEvidence', 'deviceEvidence', 'fileEvidence', 'googleCloudResourceEvidence',
  'ipEvidence', 'kubernetesClusterEvidence', 'kubernetesControllerEvidence', 'kubernetesNamespaceEvidence',
  'kubernetesPodEvidence', 'kubernetesSecretEvidence', 'kubernetesServiceAccountEvidence', 'kubernetesServiceEvidence',
  'mailClusterEvidence', 'mailboxEvidence', 'oauthApplicationEvidence', 'processEvidence', 'registryKeyEvidence',
  'registryValueEvidence', 'securityGroupEvidence', 'urlEvidence', 'userEvidence',
] as const;

export const EVIDENCE_VERDICTS = ['unknown', 'suspicious', 'malicious', 'noThreatsFound'] as const;
export const EVIDENCE_REMEDIATION_STATUSES = ['none', 'remediated', 'prevented', 'blocked', 'notFound', 'active', 'pendingApproval', 'declined', 'notRemediated', 'running'] as const;
export const EVIDENCE_ROLES = [
  'unknown', 'contextual', 'scanned', 'source', 'destination', 'created', 'added', 'compromised', 'edited', 'attacked',
  'attacker', 'commandAndControl', 'loaded', 'suspicious', 'policyViolator',
] as const;

type Evidence = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * What a type must carry to name anything (chosen: the documented property an analyst knows the
 * thing by). Types not listed here are accepted with their base properties alone.
 */
const IDENTIFYING: Partial<Record<(typeof EVIDENCE_TYPES)[number], { what: string; ok: (evidence: Evidence) => boolean }>> = {
  userEvidence: { what: "'userAccount' (an object with accountName, userPrincipalName, azureAdUserId, ...)", ok: (e) => isObject(e.userAccount) },
  deviceEvidence: { what: "'deviceDnsName' or 'mdeDeviceId'", ok: (e) => isString(e.deviceDnsName) || isString(e.mdeDeviceId) },
  ipEvidence: { what: "'ipAddress'", ok: (e) => isString(e.ipAddress) },
  mailboxEvidence: { what: "'primaryAddress' or 'upn'", ok: (e) => isString(e.primaryAddress) || isString(e.upn) },
  fileEvidence: { what: "'fileDetails' (an object with fileName, filePath, sha256, ...)", ok: (e) => isObject(e.fileDetails) },
  processEvidence: { what: "'processId' (an integer) or 'processCommandLine'", ok: (e) => Number.isInteger(e.processId) || isString(e.processCommandLine) },
  urlEvidence: { what: "'url'", ok: (e) => isString(e.url) },
};

/**
 * Checks evidence given for a new alert and completes it as Graph serves it: '@odata.type' with
 * its '#', and the base type's createdDateTime (the alert's creation), verdict, remediationStatus,
 * remediationStatusDetails, roles, detailedRoles and tags where not given. Returns what is wrong
 * as a sentence when an entry does not fit its documented type.
 */
export function completeEvidence(input: readonly unknown[], createdDateTime: string): Evidence[] | string {
  const result: Evidence[] = [];
  for (const [index, entry] of input.entries()) {
    const where = `evidence[${index}]`;
    if (!isObject(entry)) return `${where} must be an object`;
    const odataType = typeof entry['@odata.type'] === 'string' ? entry['@odata.type'].replace(/^#/, '') : '';
    const type = EVIDENCE_TYPES.find((candidate) => `microsoft.graph.security.${candidate}` === odataType);
    if (!type) return `${where}: '@odata.type' must be #microsoft.graph.security.<type> for one of ${EVIDENCE_TYPES.join(', ')}`;
    const identifying = IDENTIFYING[type];
    if (identifying && !identifying.ok(entry)) return `${where}: a ${type} needs ${identifying.what}`;
    const verdict = entry.verdict ?? 'unknown';
    if (!(EVIDENCE_VERDICTS as readonly unknown[]).includes(verdict)) return `${where}: 'verdict' must be one of ${EVIDENCE_VERDICTS.join(', ')}`;
    const remediationStatus = entry.remediationStatus ?? 'none';
    if (!(EVIDENCE_REMEDIATION_STATUSES as readonly unknown[]).includes(remediationStatus)) {
      return `${where}: 'remediationStatus' must be one of ${EVIDENCE_REMEDIATION_STATUSES.join(', ')}`;
    }
    const roles = entry.roles ?? [];
    if (!Array.isArray(roles) || !roles.every((role) => (EVIDENCE_ROLES as readonly unknown[]).includes(role))) return `${where}: 'roles' must be a list of ${EVIDENCE_ROLES.join(', ')}`;
    for (const list of ['detailedRoles', 'tags'] as const) {
      const value = entry[list];
      if (value !== undefined && (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))) return `${where}: '${list}' must be a list of strings`;
    }
    result.push({
      createdDateTime,
      remediationStatusDetails: null,
      detailedRoles: [],
      tags: [],
      ...entry,
      '@odata.type': `#${odataType}`,
      verdict,
      remediationStatus,
      roles,
    });
  }
  return result;
}
