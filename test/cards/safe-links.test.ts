import { describe, expect, test } from '@jest/globals';
import { safeOpenUrl } from '../../src/cards/safe-links.ts';
import { friendlyProductName, friendlyProductNames } from '../../src/cards/product-names.ts';

describe('safeOpenUrl', () => {
  test.each([
    ['https://security.microsoft.com/incident2/29/overview?tid=t', 'https://security.microsoft.com/incident2/29/overview?tid=t'],
    ['https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x', 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x'],
    ['https://SECURITY.microsoft.com:443/x', 'https://security.microsoft.com/x'],
  ])('allows %s', (url, expected) => {
    expect(safeOpenUrl(url)).toBe(expected);
  });

  test.each([
    'http://security.microsoft.com/x',
    'javascript:alert(1)',
    'data:text/html,x',
    'https://security.microsoft.com.evil.example/x',
    'https://evil.example/security.microsoft.com',
    'https://user:pw@security.microsoft.com/x',
    'https://security.microsoft.com:8443/x',
    '//security.microsoft.com/x',
    'not a url',
    '',
    `https://security.microsoft.com/${'a'.repeat(3000)}`,
  ])('refuses %s', (url) => {
    expect(safeOpenUrl(url)).toBeNull();
  });

  test('refuses non-strings', () => {
    expect(safeOpenUrl(undefined)).toBeNull();
    expect(safeOpenUrl(42)).toBeNull();
  });

  test('extra hosts admit exactly the host and port given', () => {
    expect(safeOpenUrl('https://localhost:4443/incident2/1', ['localhost:4443'])).toBe('https://localhost:4443/incident2/1');
    expect(safeOpenUrl('https://localhost:4444/incident2/1', ['localhost:4443'])).toBeNull();
    expect(safeOpenUrl('http://localhost:4443/incident2/1', ['localhost:4443'])).toBeNull();
  });
});

describe('friendly product names', () => {
  test('Graph service sources and Sentinel product names map to today\'s names', () => {
    expect(friendlyProductName('microsoftCloudAppSecurity')).toBe('Defender for Cloud Apps');
    expect(friendlyProductName('Azure Security Center')).toBe('Defender for Cloud');
    expect(friendlyProductName('Azure Active Directory Identity Protection')).toBe('Entra ID Protection');
    expect(friendlyProductName('Some New Product')).toBe('Some New Product');
  });
  test('de-duplicates across naming schemes, keeps first-seen order, skips blanks', () => {
    expect(friendlyProductNames(['microsoftDefenderForEndpoint', '', 'Microsoft Defender Advanced Threat Protection', 'dataLossPrevention'])).toEqual([
      'Defender for Endpoint',
      'Purview DLP',
    ]);
  });
});
