// Enumerations and product names as Microsoft documents them (see CONTRACT.md for sources).

// Graph microsoft.graph.security enums (camelCase on the wire).
export const GRAPH_SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high', 'unknownFutureValue'] as const;
export const GRAPH_INCIDENT_STATUSES = ['active', 'resolved', 'inProgress', 'redirected', 'unknownFutureValue', 'awaitingAction'] as const;
/** Members after unknownFutureValue in an evolvable enum are returned only with `Prefer: include-unknown-enum-members`. */
export const GRAPH_EVOLVABLE_STATUSES = ['awaitingAction'] as const;
export const GRAPH_CLASSIFICATIONS = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity', 'unknownFutureValue'] as const;
export const GRAPH_DETERMINATIONS = [
  'unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other', 'multiStagedAttack',
  'compromisedUser', 'phishing', 'maliciousUserActivity', 'clean', 'insufficientData', 'confirmedUserActivity',
  'lineOfBusinessApplication', 'unknownFutureValue',
] as const;
/** Older doc revisions list these names; the 2023+ resource doc renamed them. Accepted on input, stored renamed. */
export const GRAPH_DETERMINATION_ALIASES: Record<string, string> = {
  notMalicious: 'clean',
  notEnoughDataToValidate: 'insufficientData',
};
export const GRAPH_ALERT_STATUSES = ['unknown', 'new', 'inProgress', 'resolved', 'unknownFutureValue'] as const;

// ARM Microsoft.SecurityInsights enums (PascalCase on the wire).
export const ARM_SEVERITIES = ['High', 'Medium', 'Low', 'Informational'] as const;
export const ARM_STATUSES = ['New', 'Active', 'Closed'] as const;
export const ARM_CLASSIFICATIONS = ['Undetermined', 'TruePositive', 'BenignPositive', 'FalsePositive'] as const;
export const ARM_CLASSIFICATION_REASONS = ['SuspiciousActivity', 'SuspiciousButExpected', 'IncorrectAlertLogic', 'InaccurateData'] as const;
/** Which closing reasons belong to which classification (Sentinel's close-incident dialog). */
export const ARM_REASONS_BY_CLASSIFICATION: Record<string, readonly string[]> = {
  TruePositive: ['SuspiciousActivity'],
  BenignPositive: ['SuspiciousButExpected'],
  FalsePositive: ['IncorrectAlertLogic', 'InaccurateData'],
  Undetermined: [],
};
export const ARM_OWNER_TYPES = ['Unknown', 'User', 'Group'] as const;

/** Sentinel providerName of Defender XDR incidents; older workspaces show 'Microsoft 365 Defender'. */
export const XDR_PROVIDER_NAME = 'Microsoft XDR';
export const SENTINEL_PROVIDER_NAME = 'Azure Sentinel';

/** The productFilter values of MicrosoftSecurityIncidentCreation alert rules. */
export const INCIDENT_CREATION_PRODUCTS = [
  'Microsoft Cloud App Security',
  'Azure Security Center',
  'Azure Advanced Threat Protection',
  'Azure Active Directory Identity Protection',
  'Azure Security Center for IoT',
  'Office 365 Advanced Threat Protection',
  'Microsoft Defender Advanced Threat Protection',
] as const;

export interface ServiceSourceInfo {
  /** serviceSource value on the Graph wire. */
  wire: string;
  /** Whether Graph returns it only with `Prefer: include-unknown-enum-members` (evolvable member). */
  evolvable: boolean;
  detectionSource: string;
  /** Alert productName and Sentinel additionalData.alertProductNames entry. */
  productName: string;
  /** productFilter of the incident creation rule for this product, when one exists. */
  creationRuleProduct: string | null;
  /** Kind of the Sentinel alert-provider data connector the Defender-portal onboarding disconnects. */
  alertConnectorKind: string | null;
}

export const SERVICE_SOURCES: Record<string, ServiceSourceInfo> = {
  microsoftDefenderForEndpoint: {
    wire: 'microsoftDefenderForEndpoint', evolvable: false, detectionSource: 'microsoftDefenderForEndpoint',
    productName: 'Microsoft Defender for Endpoint', creationRuleProduct: 'Microsoft Defender Advanced Threat Protection',
    alertConnectorKind: 'MicrosoftDefenderAdvancedThreatProtection',
  },
  microsoftDefenderForIdentity: {
    wire: 'microsoftDefenderForIdentity', evolvable: false, detectionSource: 'microsoftDefenderForIdentity',
    productName: 'Microsoft Defender for Identity', creationRuleProduct: 'Azure Advanced Threat Protection',
    alertConnectorKind: 'AzureAdvancedThreatProtection',
  },
  microsoftDefenderForOffice365: {
    wire: 'microsoftDefenderForOffice365', evolvable: false, detectionSource: 'microsoftDefenderForOffice365',
    productName: 'Microsoft Defender for Office 365', creationRuleProduct: 'Office 365 Advanced Threat Protection',
    alertConnectorKind: 'OfficeATP',
  },
  // The brief's "microsoftCloudAppSecurity"; Graph's serviceSource member is microsoftDefenderForCloudApps.
  microsoftDefenderForCloudApps: {
    wire: 'microsoftDefenderForCloudApps', evolvable: false, detectionSource: 'cloudAppSecurity',
    productName: 'Microsoft Defender for Cloud Apps', creationRuleProduct: 'Microsoft Cloud App Security',
    alertConnectorKind: 'MicrosoftCloudAppSecurity',
  },
  microsoftDefenderForCloud: {
    wire: 'microsoftDefenderForCloud', evolvable: true, detectionSource: 'microsoftDefenderForCloud',
    productName: 'Microsoft Defender for Cloud', creationRuleProduct: 'Azure Security Center',
    alertConnectorKind: null, // Defender for Cloud's connector is not among those onboarding disconnects.
  },
  dataLossPrevention: {
    wire: 'dataLossPrevention', evolvable: false, detectionSource: 'microsoftDataLossPrevention',
    productName: 'Microsoft Data Loss Prevention', creationRuleProduct: null, alertConnectorKind: null,
  },
  azureAdIdentityProtection: {
    wire: 'azureAdIdentityProtection', evolvable: false, detectionSource: 'azureAdIdentityProtection',
    productName: 'Azure Active Directory Identity Protection', creationRuleProduct: 'Azure Active Directory Identity Protection',
    alertConnectorKind: 'AzureActiveDirectory',
  },
  microsoftInsiderRiskManagement: {
    wire: 'microsoftInsiderRiskManagement', evolvable: true, detectionSource: 'manual',
    productName: 'Microsoft Insider Risk Management', creationRuleProduct: null, alertConnectorKind: null,
  },
};

/** Input aliases accepted by POST /_sim/alerts. */
export const SERVICE_SOURCE_ALIASES: Record<string, string> = {
  microsoftCloudAppSecurity: 'microsoftDefenderForCloudApps',
};

export function resolveServiceSource(input: string): ServiceSourceInfo | undefined {
  return SERVICE_SOURCES[SERVICE_SOURCE_ALIASES[input] ?? input];
}

/** MITRE ATT&CK tactics as Sentinel names them (AttackTactic enum); alert categories use the same words. */
export const ATTACK_TACTICS = [
  'Reconnaissance', 'ResourceDevelopment', 'InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation',
  'DefenseEvasion', 'CredentialAccess', 'Discovery', 'LateralMovement', 'Collection', 'Exfiltration',
  'CommandAndControl', 'Impact', 'PreAttack', 'ImpairProcessControl', 'InhibitResponseFunction',
] as const;

/** Graph severity -> Sentinel severity. Graph 'unknown' has no Sentinel counterpart; Informational is closest. */
export function graphSeverityToArm(severity: string): string {
  switch (severity) {
    case 'high':
      return 'High';
    case 'medium':
      return 'Medium';
    case 'low':
      return 'Low';
    default:
      return 'Informational';
  }
}

export function armSeverityToGraph(severity: string): string {
  return severity.toLowerCase();
}

export function severityRank(graphSeverity: string): number {
  return ['unknown', 'informational', 'low', 'medium', 'high'].indexOf(graphSeverity);
}

/** Case-insensitive lookup of an enum member; returns the canonical spelling or undefined. */
export function canonicalMember(members: readonly string[], value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return members.find((member) => member.toLowerCase() === value.toLowerCase());
}
