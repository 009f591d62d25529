import { StoreError } from './errors.ts';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schema names are spliced into SQL (search_path cannot be a bind parameter), so only plain
 * lower-case identifiers of at most 63 bytes (PostgreSQL's NAMEDATALEN - 1) are accepted.
 */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreError(
      'invalid-config',
      `Invalid database schema name "${schema}": use lower-case letters, digits and _ (at most 63, not starting with a digit).`,
    );
  }
  return schema;
}
