// The Microsoft Defender XDR connector's configuration, as an administrator sees it on the
// connector page. The Sentinel client maps the ARM resources (data connector of kind
// MicrosoftThreatProtection, MicrosoftSecurityIncidentCreation alert rules, UEBA settings)
// to and from this shape. Pure.

export const INTEGRATION_METHODS = ['defenderPortal', 'azurePortal'] as const;
export type IntegrationMethod = (typeof INTEGRATION_METHODS)[number];

/**
 * Why no one can change the integration method through the bridge: onboarding a workspace to the
 * Defender portal is not a property of any ARM resource, so there is nothing to write.
 */
export const INTEGRATION_METHOD_NOT_WRITABLE =
  'The integration method cannot be changed from here: ARM has no setting for it. Onboard the workspace to the Defender portal there (System > Settings > Microsoft Sentinel), or offboard it, then update the bridge configuration (CONNECTOR_INTEGRATION_METHOD).';

export interface ConnectorConfig {
  /** Defender portal (unified SecOps, automatic) or Azure portal (connector enabled from Content hub). */
  integrationMethod: IntegrationMethod;
  /** 'Connect incidents & alerts': dataTypes.incidents (and alerts) Enabled. */
  incidentsAndAlerts: boolean;
  /** 'Turn off all Microsoft incident creation rules for these products': true = rules disabled (recommended). */
  turnOffIncidentCreationRules: boolean;
  /** 'Connect entities' (UEBA data sources from Defender for Identity / Entra ID). */
  entities: boolean;
  /** Advanced hunting tables collected as events, e.g. DeviceProcessEvents, EmailEvents. Sorted, unique. */
  eventTypes: string[];
}

/** A configuration read from the workspace, with what is needed to write it back safely. */
export interface ConnectorSnapshot {
  config: ConnectorConfig;
  /** Opaque version of the whole configuration (combined etags); a stale base cannot be applied. */
  version: string;
  readAt: string;
}
