import { describe, expect, test } from '@jest/globals';
import { createCustomerNames, findPair, pairLabel, pairNameProblem } from '../../src/domain/pair-names.ts';

const PAIRS = [{ id: 'cust-001', name: 'Contoso Ltd' }, { id: 'cust-002' }];

describe('pair display names', () => {
  test.each([
    ['Contoso Ltd.', null],
    ["O'Brien & Sons (EU) - Paris/Lyon +1: ok", null],
    ['Ünïcødé Société', null],
    ['', 'is empty'],
    [' Contoso', 'starts or ends with a space'],
    ['x'.repeat(65), 'is longer than 64 characters'],
    ['Contoso\u0007', 'contains a control character (U+0007)'],
    ['Contoso\u202Edtl', 'contains a text-direction character (U+202E)'],
    ['Contoso_Ltd', "contains '_', which is markup in Teams messages or cards; use letters, digits, spaces and . , & ' ( ) - / + : only"],
    ['<at>Contoso</at>', expect.stringMatching(/^contains '<'/)],
    ['Contoso ${x}', expect.stringMatching(/^contains '\$'/)],
  ])('%j: %p', (name, problem) => {
    expect(pairNameProblem(name)).toEqual(problem);
  });

  test('a pair is found by id or name, case and spacing aside', () => {
    expect(findPair(PAIRS, 'CUST-001')?.id).toBe('cust-001');
    expect(findPair(PAIRS, '  contoso   ltd ')?.id).toBe('cust-001');
    expect(findPair(PAIRS, 'Contoso')).toBeUndefined();
    expect(pairLabel(PAIRS[0]!)).toBe('Contoso Ltd (cust-001)');
    expect(pairLabel(PAIRS[1]!)).toBe('cust-002');
  });

  test('customers are named only when there is something to say', () => {
    const several = createCustomerNames(PAIRS);
    expect(several.customerOf('cust-001')).toBe('Contoso Ltd');
    expect(several.customerOf('cust-002')).toBe('cust-002');
    expect(several.idOf('contoso ltd')).toBe('cust-001');
    expect(several.idOf('00000000-0000-4000-8000-000000000101')).toBe('00000000-0000-4000-8000-000000000101');
    expect(createCustomerNames([{ id: 'default' }]).customerOf('default')).toBeNull();
    expect(createCustomerNames([{ id: 'default', name: 'Northwind' }]).customerOf('default')).toBe('Northwind');
  });
});
