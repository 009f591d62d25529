// Friendly names for the products/services an incident's alerts come from.
// Defender reports alert serviceSource values (Graph `microsoft.graph.security.serviceSource`);
// Sentinel reports additionalData.alertProductNames as display names, some of them the
// pre-rename product names (e.g. "Azure Advanced Threat Protection"). Both map to today's names so
// the card shows one vocabulary whichever portal the incident was read from.

const FRIENDLY_PRODUCT_NAMES: ReadonlyMap<string, string> = new Map(
  (
    [
      // Graph serviceSource enum values
      ['microsoftDefenderForEndpoint', 'Defender for Endpoint'],
      ['microsoftDefenderForIdentity', 'Defender for Identity'],
      ['microsoftDefenderForOffice365', 'Defender for Office 365'],
      ['microsoftCloudAppSecurity', 'Defender for Cloud Apps'],
      ['microsoftDefenderForCloudApps', 'Defender for Cloud Apps'],
      ['microsoftDefenderForCloud', 'Defender for Cloud'],
      ['dataLossPrevention', 'Purview DLP'],
      ['azureAdIdentityProtection', 'Entra ID Protection'],
      ['microsoftInsiderRiskManagement', 'Insider Risk Management'],
      ['microsoftDefenderXdr', 'Defender XDR'],
      ['microsoft365Defender', 'Defender XDR'],
      ['microsoftSentinel', 'Sentinel'],
      // Sentinel alertProductNames / productFilter display names
      ['Microsoft Defender Advanced Threat Protection', 'Defender for Endpoint'],
      ['Microsoft Defender for Endpoint', 'Defender for Endpoint'],
      ['Azure Advanced Threat Protection', 'Defender for Identity'],
      ['Microsoft Defender for Identity', 'Defender for Identity'],
      ['Office 365 Advanced Threat Protection', 'Defender for Office 365'],
      ['Microsoft Defender for Office 365', 'Defender for Office 365'],
      ['Microsoft Cloud App Security', 'Defender for Cloud Apps'],
      ['Microsoft Defender for Cloud Apps', 'Defender for Cloud Apps'],
      ['Azure Security Center', 'Defender for Cloud'],
      ['Microsoft Defender for Cloud', 'Defender for Cloud'],
      ['Microsoft Data Loss Prevention', 'Purview DLP'],
      ['Microsoft Purview Data Loss Prevention', 'Purview DLP'],
      ['Azure Active Directory Identity Protection', 'Entra ID Protection'],
      ['Microsoft Entra ID Protection', 'Entra ID Protection'],
      ['Microsoft Insider Risk Management', 'Insider Risk Management'],
      ['Microsoft Purview Insider Risk Management', 'Insider Risk Management'],
      ['Azure Sentinel', 'Sentinel'],
      ['Microsoft Sentinel', 'Sentinel'],
    ] as const
  ).map(([key, name]) => [normaliseKey(key), name]),
);

function normaliseKey(name: string): string {
  return name.replace(/[\s_-]+/g, '').toLowerCase();
}

/** Today's product name for a serviceSource or alertProductName; unknown names pass through unchanged. */
export function friendlyProductName(name: string): string {
  return FRIENDLY_PRODUCT_NAMES.get(normaliseKey(name)) ?? name;
}

/** Friendly, de-duplicated names in first-seen order. Unknown names are kept (escaped later by the caller). */
export function friendlyProductNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const name of names) {
    if (typeof name !== 'string' || name.trim() === '') continue;
    const friendly = friendlyProductName(name.trim());
    if (!seen.has(friendly)) {
      seen.add(friendly);
      result.push(friendly);
    }
  }
  return result;
}
