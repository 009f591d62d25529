// A small, strict OData subset shared by the Graph and ARM simulators: `$filter` as a conjunction
// of comparisons (eq, ne, gt, ge, lt, le joined by `and`) and `$orderby`. Pure: parse, then match.

export const COMPARISON_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'datetime'; value: string; time: number }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export interface Comparison {
  property: string;
  operator: ComparisonOperator;
  literal: Literal;
}

/** How a filterable property compares: dates by instant, enums by declared order, strings by text. */
export type PropertyKind = { kind: 'datetime' } | { kind: 'string' } | { kind: 'enum'; members: readonly string[] };
export type FilterSchema = Record<string, PropertyKind>;

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_/]*$/;

function tokenize(text: string): string[] | string {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push(ch);
      i++;
    } else if (ch === "'") {
      let value = "'";
      i++;
      for (;;) {
        if (i >= text.length) return 'a string literal is not closed with a quote';
        if (text[i] === "'" && text[i + 1] === "'") {
          value += "''";
          i += 2;
        } else if (text[i] === "'") {
          value += "'";
          i++;
          break;
        } else {
          value += text[i];
          i++;
        }
      }
      tokens.push(value);
    } else {
      let word = '';
      while (i < text.length && !/[\s()]/.test(text[i] as string)) word += text[i++];
      tokens.push(word);
    }
  }
  return tokens;
}

function parseLiteral(token: string): Literal | undefined {
  if (token.startsWith("'")) return { kind: 'string', value: token.slice(1, -1).replaceAll("''", "'") };
  if (token === 'null') return { kind: 'null' };
  if (token === 'true' || token === 'false') return { kind: 'boolean', value: token === 'true' };
  if (DATETIME.test(token)) {
    const time = Date.parse(token);
    return Number.isNaN(time) ? undefined : { kind: 'datetime', value: token, time };
  }
  if (/^-?\d+(\.\d+)?$/.test(token)) return { kind: 'number', value: Number(token) };
  return undefined;
}

/**
 * Parses `$filter` into comparisons that must all hold. Returns a message naming the problem for
 * anything outside the supported subset (or, functions, unknown properties, bad literals).
 */
export function parseFilter(text: string, schema: FilterSchema): Comparison[] | string {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return tokens;
  const parts = tokens.filter((token) => token !== '(' && token !== ')');
  if (tokens.filter((t) => t === '(').length !== tokens.filter((t) => t === ')').length) return 'parentheses are not balanced';
  const comparisons: Comparison[] = [];
  let i = 0;
  for (;;) {
    const [property, operator, literalToken] = [parts[i], parts[i + 1], parts[i + 2]];
    if (property === undefined || operator === undefined || literalToken === undefined) {
      return `expected '<property> <operator> <value>' near '${parts.slice(i).join(' ')}'`;
    }
    if (!IDENTIFIER.test(property)) return `'${property}' is not a property name`;
    const schemaKey = Object.keys(schema).find((key) => key.toLowerCase() === property.toLowerCase());
    if (!schemaKey) return `property '${property}' is not filterable; filterable properties: ${Object.keys(schema).join(', ')}`;
    const op = operator.toLowerCase();
    if (!(COMPARISON_OPERATORS as readonly string[]).includes(op)) {
      return `operator '${operator}' is not supported; use one of ${COMPARISON_OPERATORS.join(', ')}`;
    }
    const literal = parseLiteral(literalToken);
    if (!literal) return `'${literalToken}' is not a valid literal (quote strings: 'value'; dates: 2024-01-01T00:00:00Z)`;
    const kind = schema[schemaKey] as PropertyKind;
    if (kind.kind === 'datetime' && literal.kind !== 'datetime' && literal.kind !== 'null') {
      return `property '${schemaKey}' is a date-time; compare it with an unquoted value such as 2024-01-01T00:00:00Z`;
    }
    if (kind.kind === 'enum' && literal.kind === 'string' && !kind.members.some((m) => m.toLowerCase() === literal.value.toLowerCase())) {
      return `'${literal.value}' is not a member of '${schemaKey}' (${kind.members.join(', ')})`;
    }
    if ((kind.kind === 'enum' || kind.kind === 'string') && literal.kind !== 'string' && literal.kind !== 'null') {
      return `property '${schemaKey}' is a string; quote the value`;
    }
    comparisons.push({ property: schemaKey, operator: op as ComparisonOperator, literal });
    i += 3;
    if (i >= parts.length) return comparisons;
    const joiner = (parts[i] as string).toLowerCase();
    if (joiner !== 'and') return `'${parts[i]}' is not supported between comparisons; only 'and' is`;
    i++;
  }
}

function compareValues(left: number | string, right: number | string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function holds(operator: ComparisonOperator, order: number): boolean {
  switch (operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

/** Whether a record satisfies all comparisons; `read` returns the record's raw value for a property. */
export function matchesFilter(
  comparisons: readonly Comparison[],
  schema: FilterSchema,
  read: (property: string) => string | null | undefined,
): boolean {
  return comparisons.every(({ property, operator, literal }) => {
    const raw = read(property);
    if (literal.kind === 'null') return operator === 'eq' ? raw == null : operator === 'ne' ? raw != null : false;
    if (raw == null) return operator === 'ne';
    const kind = schema[property] as PropertyKind;
    if (kind.kind === 'datetime' && literal.kind === 'datetime') {
      return holds(operator, compareValues(Date.parse(raw), literal.time));
    }
    if (literal.kind !== 'string') return false;
    if (kind.kind === 'enum') {
      const members = kind.members.map((m) => m.toLowerCase());
      return holds(operator, compareValues(members.indexOf(raw.toLowerCase()), members.indexOf(literal.value.toLowerCase())));
    }
    return holds(operator, compareValues(raw.toLowerCase(), literal.value.toLowerCase()));
  });
}

export interface OrderBy {
  property: string;
  direction: 'asc' | 'desc';
}

export function parseOrderBy(text: string, allowed: readonly string[]): OrderBy[] | string {
  const clauses: OrderBy[] = [];
  for (const clause of text.split(',')) {
    const [property, direction = 'asc', extra] = clause.trim().split(/\s+/);
    const name = allowed.find((candidate) => candidate.toLowerCase() === (property ?? '').toLowerCase());
    if (!property || !name) return `cannot order by '${clause.trim()}'; orderable properties: ${allowed.join(', ')}`;
    const dir = direction.toLowerCase();
    if ((dir !== 'asc' && dir !== 'desc') || extra !== undefined) return `'${clause.trim()}' must be '<property> asc' or '<property> desc'`;
    clauses.push({ property: name, direction: dir });
  }
  return clauses;
}

/** Sorts a copy of `records` by the clauses; `read` yields comparable values (ISO dates sort as text). */
export function sortBy<T>(records: readonly T[], clauses: readonly OrderBy[], read: (record: T, property: string) => string | number | null | undefined): T[] {
  return [...records].sort((a, b) => {
    for (const { property, direction } of clauses) {
      const left = read(a, property) ?? '';
      const right = read(b, property) ?? '';
      const order = compareValues(left, right);
      if (order !== 0) return direction === 'asc' ? order : -order;
    }
    return 0;
  });
}
