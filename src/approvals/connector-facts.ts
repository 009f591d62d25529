// What Microsoft documents about the Microsoft Defender XDR connector, as data. The diff, the
// consequences and the validation read these lists; README.md in this folder names the sources.
// Pure.

export interface EventTable {
  name: string;
  /** The connector page's tab the table is listed under. */
  product: 'Defender for Endpoint' | 'Defender for Office 365' | 'Defender for Identity' | 'Defender for Cloud Apps' | 'Defender alerts';
}

/**
 * The advanced hunting tables the connector's "Connect events" section offers (Microsoft Learn,
 * "Stream data from Microsoft Defender XDR to Microsoft Sentinel", Connect events; the same names
 * are the connector definition's dataTypes in Azure/Azure-Sentinel, Solutions/Microsoft Defender
 * XDR/Data Connectors/MicrosoftThreatProtection.JSON). A table not listed here cannot be streamed
 * by this connector.
 */
export const DEFENDER_XDR_EVENT_TABLES: readonly EventTable[] = [
  { name: 'DeviceInfo', product: 'Defender for Endpoint' },
  { name: 'DeviceNetworkInfo', product: 'Defender for Endpoint' },
  { name: 'DeviceProcessEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceNetworkEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceFileEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceRegistryEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceLogonEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceImageLoadEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceEvents', product: 'Defender for Endpoint' },
  { name: 'DeviceFileCertificateInfo', product: 'Defender for Endpoint' },
  { name: 'EmailAttachmentInfo', product: 'Defender for Office 365' },
  { name: 'EmailEvents', product: 'Defender for Office 365' },
  { name: 'EmailPostDeliveryEvents', product: 'Defender for Office 365' },
  { name: 'EmailUrlInfo', product: 'Defender for Office 365' },
  { name: 'UrlClickEvents', product: 'Defender for Office 365' },
  { name: 'IdentityDirectoryEvents', product: 'Defender for Identity' },
  { name: 'IdentityLogonEvents', product: 'Defender for Identity' },
  { name: 'IdentityQueryEvents', product: 'Defender for Identity' },
  { name: 'CloudAppEvents', product: 'Defender for Cloud Apps' },
  { name: 'AlertInfo', product: 'Defender alerts' },
  { name: 'AlertEvidence', product: 'Defender alerts' },
];

export const DEFENDER_XDR_EVENT_TABLE_NAMES: ReadonlySet<string> = new Set(DEFENDER_XDR_EVENT_TABLES.map((t) => t.name));

/**
 * Defender Vulnerability Management tables appear in the advanced hunting schema but "aren't
 * ingested into Microsoft Sentinel" (same article, Connect events, Important note).
 */
export const NOT_INGESTED_TABLE_PATTERN = /^DeviceTvm/i;

/**
 * Products whose Microsoft incident creation rules the connector turns off "to avoid creating
 * duplicate incidents for the same alerts" (Microsoft Learn, "Microsoft Defender XDR integration
 * with Microsoft Sentinel", Microsoft incident creation rules). Named as the rules' productFilter
 * values name them (ARM MicrosoftSecurityIncidentCreation alert rules), with today's names.
 */
export const INCIDENT_CREATION_RULE_PRODUCTS: readonly string[] = [
  'Microsoft Defender for Endpoint',
  'Microsoft Defender for Identity',
  'Microsoft Defender for Office 365',
  'Microsoft Defender for Cloud Apps',
  'Microsoft Entra ID Protection',
];

/**
 * "Any data connectors for the alert providers included in the Defender XDR connector are
 * disconnected" on Defender portal integration (same article, Defender portal integration).
 */
export const ALERT_PROVIDER_CONNECTORS_DISCONNECTED_BY_DEFENDER_PORTAL: readonly string[] = [
  'Defender for Cloud Apps (alerts)',
  'Endpoint',
  'Identity',
  'Office 365',
  'Entra ID Protection',
];

/** Human names of the connector page's settings, for cards and messages. */
export const SETTING_LABELS = {
  integrationMethod: 'Integration method',
  incidentsAndAlerts: 'Connect incidents & alerts',
  turnOffIncidentCreationRules: 'Turn off Microsoft incident creation rules',
  entities: 'Connect entities',
  eventTypes: 'Event tables',
} as const;

export const INTEGRATION_METHOD_LABELS = {
  defenderPortal: 'Defender portal (unified SecOps)',
  azurePortal: 'Azure portal (connector)',
} as const;
