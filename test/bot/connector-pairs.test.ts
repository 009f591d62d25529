import { describe, expect, test } from '@jest/globals';
import { manageablePairs, managesEveryPair, resolveConnectorPair } from '../../src/bot/connector-pairs.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';

const PAIRS = [
  { id: 'contoso', name: 'Contoso Ltd', tenantId: 'tenant-contoso', sharedWith: [] as string[] },
  { id: 'fabrikam', tenantId: 'Tenant-Fabrikam', sharedWith: ['contoso'] },
];
const policy = createTenantPolicy({ botTenantId: 'tenant-soc', allowedTenants: [], pairs: PAIRS });
const NOT_HERE = 'not here';

describe('which connectors a conversation manages', () => {
  test('the SOC every pair; a customer its own pair only, not pairs shared with it; a stranger none', () => {
    expect(manageablePairs(policy, PAIRS, 'tenant-soc').map((p) => p.id)).toEqual(['contoso', 'fabrikam']);
    expect(manageablePairs(policy, PAIRS, 'TENANT-CONTOSO').map((p) => p.id)).toEqual(['contoso']);
    expect(manageablePairs(policy, PAIRS, 'tenant-fabrikam').map((p) => p.id)).toEqual(['fabrikam']);
    expect(manageablePairs(policy, PAIRS, 'tenant-stranger')).toEqual([]);
    expect(manageablePairs(policy, PAIRS, undefined)).toEqual([]);
    expect(managesEveryPair(policy, 'tenant-soc')).toBe(true);
    expect(managesEveryPair(policy, 'tenant-contoso')).toBe(false);
  });

  test('tenant= resolves among those pairs only, with the same answer for unknown and not-yours', () => {
    const contosoOnly = manageablePairs(policy, PAIRS, 'tenant-contoso');
    expect(resolveConnectorPair(contosoOnly, undefined, NOT_HERE)).toMatchObject({ ok: true, pair: { id: 'contoso' } });
    const unknown = resolveConnectorPair(contosoOnly, 'northwind', NOT_HERE);
    const notYours = resolveConnectorPair(contosoOnly, 'fabrikam', NOT_HERE);
    expect(unknown).toEqual({ ok: false, message: 'No pair "northwind" has a connector managed here. The pair here is Contoso Ltd (contoso).' });
    expect(notYours).toEqual({ ok: false, message: 'No pair "fabrikam" has a connector managed here. The pair here is Contoso Ltd (contoso).' });
    expect(resolveConnectorPair([], 'contoso', NOT_HERE)).toEqual({ ok: false, message: NOT_HERE });
    expect(resolveConnectorPair(PAIRS, undefined, NOT_HERE)).toMatchObject({ ok: false, message: expect.stringMatching(/^Several customers' connectors/) });
    expect(resolveConnectorPair(PAIRS, 'Contoso\u0000', NOT_HERE)).toEqual({ ok: false, message: 'The tenant= value contains a NUL character (U+0000); write a pair id or name.' });
    expect(resolveConnectorPair(PAIRS, 'contoso\n', NOT_HERE)).toMatchObject({ ok: false, message: expect.stringMatching(/line break/) });
    expect(resolveConnectorPair(PAIRS, 'contoso ltd', NOT_HERE)).toMatchObject({ ok: true, pair: { id: 'contoso' } });
  });
});
