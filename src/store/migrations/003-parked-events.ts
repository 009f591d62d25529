// Change events a consumer kept failing on while later events delivered: the dispatcher parks them
// here and moves that consumer's offset past them, so one poison event never blocks the stream.
import type { Migration } from './index.ts';

export const migration003: Migration = {
  version: 3,
  name: 'parked-events',
  statements: [
    `CREATE TABLE parked_change_events (
      consumer text NOT NULL,
      seq bigint NOT NULL,
      event_id text NOT NULL,
      link_id text NOT NULL,
      pair_id text NOT NULL,
      -- An error code or class name: never the error's message, which may quote incident text.
      error_code text NOT NULL,
      attempts integer NOT NULL CHECK (attempts >= 1),
      parked_at timestamptz NOT NULL,
      PRIMARY KEY (consumer, seq)
    )`,
  ],
};
