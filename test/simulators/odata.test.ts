import { describe, expect, test } from '@jest/globals';
import { matchesFilter, parseFilter, parseOrderBy } from '../../src/simulators/odata.ts';
import type { FilterSchema } from '../../src/simulators/odata.ts';

const schema: FilterSchema = {
  lastUpdateDateTime: { kind: 'datetime' },
  severity: { kind: 'enum', members: ['unknown', 'informational', 'low', 'medium', 'high'] },
  assignedTo: { kind: 'string' },
};

describe('OData $filter subset', () => {
  test('parses comparisons joined by and, with quoted strings (escaped quotes) and date-times', () => {
    const parsed = parseFilter("lastUpdateDateTime ge 2024-01-01T00:00:00Z and assignedTo eq 'o''brien@contoso.example' and severity gt 'low'", schema);
    expect(parsed).toEqual([
      { property: 'lastUpdateDateTime', operator: 'ge', literal: { kind: 'datetime', value: '2024-01-01T00:00:00Z', time: Date.parse('2024-01-01T00:00:00Z') } },
      { property: 'assignedTo', operator: 'eq', literal: { kind: 'string', value: "o'brien@contoso.example" } },
      { property: 'severity', operator: 'gt', literal: { kind: 'string', value: 'low' } },
    ]);
  });

  test('enums compare by declared order and case-insensitively; dates by instant', () => {
    const parsed = parseFilter("severity ge 'Medium' and lastUpdateDateTime lt 2024-06-01T00:00:00+02:00", schema);
    if (typeof parsed === 'string') throw new Error(parsed);
    const record = (severity: string, lastUpdateDateTime: string) => (property: string) => ({ severity, lastUpdateDateTime })[property] ?? null;
    expect(matchesFilter(parsed, schema, record('high', '2024-05-31T21:59:59Z'))).toBe(true);
    expect(matchesFilter(parsed, schema, record('low', '2024-05-31T21:59:59Z'))).toBe(false);
    expect(matchesFilter(parsed, schema, record('high', '2024-05-31T22:00:00Z'))).toBe(false);
  });

  test('refuses what it does not support, saying what is wrong', () => {
    expect(parseFilter("title eq 'x'", schema)).toMatch(/not filterable/);
    expect(parseFilter("severity eq 'severe'", schema)).toMatch(/not a member/);
    expect(parseFilter("severity eq 'low' or severity eq 'high'", schema)).toMatch(/only 'and'/);
    expect(parseFilter('lastUpdateDateTime ge yesterday', schema)).toMatch(/not a valid literal/);
    expect(parseFilter("assignedTo eq 'unterminated", schema)).toMatch(/not closed/);
    expect(parseFilter("contains(assignedTo,'x')", schema)).toEqual(expect.any(String));
  });

  test('$orderby accepts listed properties with asc/desc only', () => {
    expect(parseOrderBy('lastUpdateDateTime desc', ['lastUpdateDateTime'])).toEqual([{ property: 'lastUpdateDateTime', direction: 'desc' }]);
    expect(parseOrderBy('severity desc', ['lastUpdateDateTime'])).toMatch(/cannot order by/);
    expect(parseOrderBy('lastUpdateDateTime sideways', ['lastUpdateDateTime'])).toMatch(/asc/);
  });
});
