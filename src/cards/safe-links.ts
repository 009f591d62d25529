// Decides which URLs may become Action.OpenUrl buttons. Portal URLs come from the portals'
// responses (Graph incidentWebUrl, ARM incidentUrl); a compromised or simulated portal, or a bug
// in a mapper, must not be able to put an arbitrary link on a card that analysts trust.
// Rule: absolute https URL, no credentials, host on the allow-list (exact match, case-insensitive).

/** The real portals' hosts: Defender / unified portal, and the Azure portal (Sentinel). */
export const DEFAULT_LINK_HOSTS: readonly string[] = ['security.microsoft.com', 'portal.azure.com'];

/** Longest URL we put on a card; portal deep links are far shorter. */
const MAX_URL_LENGTH = 2048;

/**
 * Returns the normalised URL when it is safe to open, else null. `extraHosts` adds hosts (with an
 * optional ":port", e.g. the local simulators' "localhost:8443"); they must still be https.
 */
export function safeOpenUrl(url: unknown, extraHosts: readonly string[] = []): string | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  const allowed = new Set([...DEFAULT_LINK_HOSTS, ...extraHosts].map((host) => host.trim().toLowerCase()));
  // URL.host is lower-cased and omits the default port 443; with any other port it reads
  // "host:port", so a host allowed without a port admits 443 only, "localhost:8443" that port only.
  return allowed.has(parsed.host) ? parsed.href : null;
}

/** Where Graph's chat.webUrl points: Teams' own web host. A war room link goes nowhere else. */
export const TEAMS_LINK_HOSTS: readonly string[] = ['teams.microsoft.com'];

/** A Teams deep link (a chat's webUrl) that is safe to open, else null: https, no credentials, Teams' host. */
export function safeTeamsUrl(url: unknown): string | null {
  const safe = safeOpenUrl(url, TEAMS_LINK_HOSTS);
  return safe !== null && TEAMS_LINK_HOSTS.includes(new URL(safe).host) ? safe : null;
}
