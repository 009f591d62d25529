// The ordered list of schema migrations. Append only: never edit a migration that has shipped
// (the migrator refuses a changed checksum); add NNN-name.ts with the next version instead.
import { migration001 } from './001-initial.ts';
import { migration002 } from './002-quarantine.ts';
import { migration003 } from './003-parked-events.ts';
import { migration004 } from './004-edit-outcomes.ts';
import { migration005 } from './005-card-copies.ts';
import { migration006 } from './006-card-refreshes.ts';
import { migration007 } from './007-portal-listings.ts';
import { migration008 } from './008-owner-notices.ts';
import { migration009 } from './009-escalation-triage.ts';
import { migration010 } from './010-war-rooms.ts';
import { migration011 } from './011-connector-pairs.ts';
import { migration012 } from './012-backfill.ts';

export interface Migration {
  version: number;
  name: string;
  /** Run in order inside the migration transaction; one SQL statement each. */
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, migration009, migration010, migration011, migration012];
