// Folds a burst of change events for one incident into one event, so a channel gets one card
// update and one threaded reply per burst. Pure.
import type { ChangeEvent, FieldChange } from '../domain/change-events.ts';

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Events in seq order; the result carries the latest incident view and, per field, the first
 * "from" and the last "to". A field that ends where it started is dropped; comments are each kept
 * (every comment is news). `by` lists each distinct author once. The kind is the most telling one
 * ('merged', then 'created', then 'updated'); the outcome is the latest edit outcome's.
 */
export function mergeBurst(events: readonly ChangeEvent[]): ChangeEvent {
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  const latest = ordered[ordered.length - 1];
  if (!latest) throw new RangeError('mergeBurst needs at least one event');
  const byField = new Map<string, FieldChange>();
  const comments: FieldChange[] = [];
  for (const event of ordered) {
    for (const change of event.changes) {
      if (change.field === 'comment') {
        comments.push(change);
        continue;
      }
      const earlier = byField.get(change.field);
      if (!earlier) {
        byField.set(change.field, { ...change });
        continue;
      }
      const authors = new Set([...earlier.by.split(', '), change.by].filter((name) => name.length > 0));
      const merged: FieldChange = { ...earlier, to: change.to, by: [...authors].join(', ') };
      // From Teams only when every change of the field in the burst was.
      if (!(earlier.fromTeams && change.fromTeams)) delete merged.fromTeams;
      byField.set(change.field, merged);
    }
  }
  const changes = [...byField.values()].filter((change) => !sameValue(change.from, change.to)).concat(comments);
  const kind = ordered.some((event) => event.kind === 'merged')
    ? 'merged'
    : ordered[0]?.kind === 'created'
      ? 'created'
      : ordered.some((event) => event.kind === 'updated')
        ? 'updated'
        : latest.kind;
  const merged: ChangeEvent = { ...latest, kind, changes };
  const newestFirst = [...ordered].reverse();
  const actor = newestFirst.find((event) => event.actor)?.actor;
  if (actor) merged.actor = actor;
  // The latest outcome of an edit in the burst is the one to tell.
  const outcome = newestFirst.find((event) => event.outcome)?.outcome;
  if (outcome) merged.outcome = outcome;
  else delete merged.outcome;
  return merged;
}
