// pg-boss on the PostgreSQL server, in a schema of this file's own (dropped afterwards).
import { createPgDb } from '../../src/store/pg-db.ts';
import { queueContract } from './boss-queue.contract.ts';
import { POSTGRES_URL, describePostgres, dropSchema, uniqueSchemaName } from './support/postgres.ts';

describePostgres('job queue on PostgreSQL', () => {
  queueContract(async () => {
    const schema = uniqueSchemaName('boss');
    const db = await createPgDb({ connectionString: POSTGRES_URL, schema });
    return { db, schema, cleanup: () => dropSchema(schema) };
  });
});
