// Tags are a set merged per element, so an analyst tagging in Defender and another tagging in
// Sentinel at the same time both keep their tags. Pure. Rules in reconcile.ts.
import type { Portal } from '../domain/incident.ts';
import { tagSetsEqual, uniqueTags } from './projection.ts';

export interface TagDecision {
  canonical: string[];
  /** Portals that must be brought to `canonical`. */
  targets: Portal[];
  /** One entry per portal that contributed edits: the agreed set with that portal's edits applied. */
  changes: Array<{ portal: Portal; from: string[]; to: string[] }>;
  conflict?: { winner: Portal; winnerValue: string[]; loserValue: string[] };
  stillAwaiting: Portal[];
}

export interface TagContext {
  defender: string[];
  sentinel: string[] | null;
  /** undefined at first sight of the incident. */
  base: string[] | undefined;
  sentinelSeen: boolean;
  awaiting: Partial<Record<Portal, string[]>>;
  later: Portal;
  earlier: Portal;
}

export function decideTags(context: TagContext): TagDecision {
  const defender = uniqueTags(context.defender);
  const sentinel = context.sentinel === null ? null : uniqueTags(context.sentinel);
  const { base } = context;

  if (base === undefined) {
    if (sentinel === null || tagSetsEqual(defender, sentinel)) {
      return { canonical: defender, targets: [], changes: [], stillAwaiting: [] };
    }
    // First sight: the documented rule takes the later portal's set whole.
    const winner = context.later;
    const loser: Portal = winner === 'defender' ? 'sentinel' : 'defender';
    const values: Record<Portal, string[]> = { defender, sentinel };
    return {
      canonical: values[winner],
      targets: [loser],
      changes: [],
      conflict: { winner, winnerValue: values[winner], loserValue: values[loser] },
      stillAwaiting: [],
    };
  }

  // A portal still showing the set it was left with (its API could not write the agreed set and
  // native sync has not carried it yet) made no edit.
  const isAwaited = (portal: Portal, tags: string[]): boolean => {
    const waiting = context.awaiting[portal];
    return waiting !== undefined && !tagSetsEqual(waiting, base) && tagSetsEqual(tags, waiting);
  };
  const views: Array<{ portal: Portal; tags: string[]; awaited: boolean; canRemove: boolean }> = [
    { portal: 'defender', tags: defender, awaited: isAwaited('defender', defender), canRemove: true },
  ];
  if (sentinel !== null) {
    // A Sentinel incident seen for the first time has no history of its own. The connector may have
    // created it from an older Defender state, so a tag it lacks is not a removal; what it adds is.
    views.push({ portal: 'sentinel', tags: sentinel, awaited: context.sentinelSeen && isAwaited('sentinel', sentinel), canRemove: context.sentinelSeen });
  }

  const edits = views
    .filter((view) => !view.awaited)
    .map((view) => ({
      portal: view.portal,
      added: view.tags.filter((tag) => !base.includes(tag)),
      removed: view.canRemove ? base.filter((tag) => !view.tags.includes(tag)) : [],
    }));
  const removed = new Set(edits.flatMap((edit) => edit.removed));
  const canonical = uniqueTags([...base, ...edits.flatMap((edit) => edit.added)]).filter((tag) => !removed.has(tag));
  const moved = !tagSetsEqual(canonical, base);

  const behind = views.filter((view) => !tagSetsEqual(view.tags, canonical));
  // An awaited portal is only asked again when the agreed set moved (a new value to report).
  const stillAwaiting = moved ? [] : behind.filter((view) => view.awaited).map((view) => view.portal);
  const targets = behind.map((view) => view.portal).filter((portal) => !stillAwaiting.includes(portal));
  return { canonical, targets, changes: attribute(edits, base, context.earlier), stillAwaiting };
}

/**
 * One change per portal. A tag edit both portals show (the portals mirrored it before this poll)
 * is credited once, to the portal that most likely made it: the earlier last update.
 */
function attribute(edits: Array<{ portal: Portal; added: string[]; removed: string[] }>, base: string[], earlier: Portal): TagDecision['changes'] {
  const credited = new Map<string, Portal>();
  for (const edit of edits) {
    for (const tag of [...edit.added.map((t) => `+${t}`), ...edit.removed.map((t) => `-${t}`)]) {
      const previous = credited.get(tag);
      credited.set(tag, previous === undefined ? edit.portal : earlier);
    }
  }
  const changes: TagDecision['changes'] = [];
  for (const portal of ['defender', 'sentinel'] as const) {
    const mine = [...credited].filter(([, owner]) => owner === portal).map(([tag]) => tag);
    if (mine.length === 0) continue;
    const adds = mine.filter((tag) => tag.startsWith('+')).map((tag) => tag.slice(1));
    const removes = new Set(mine.filter((tag) => tag.startsWith('-')).map((tag) => tag.slice(1)));
    changes.push({ portal, from: base, to: uniqueTags([...base, ...adds]).filter((tag) => !removes.has(tag)) });
  }
  return changes;
}
