// An analyst's edit of an incident and its outcome: the records the bot submits, sync decides and
// the store keeps. Pure: imports nothing of ours but the incident model.
import type { Classification, Owner, Portal, Severity, Status } from './incident.ts';

export interface EditChanges {
  severity?: Exclude<Severity, 'unknown'>;
  tagsAdd?: string[];
  tagsRemove?: string[];
  comment?: string;
  status?: Status;
  classification?: Classification;
  /** null unassigns. */
  owner?: Owner | null;
}

export type FieldName = keyof EditChanges | 'tags';

export type FieldOutcome =
  | { state: 'pending' }
  | { state: 'written' }
  /** Not writable through this API; the change was taken by the other route (native sync) and read back. */
  | { state: 'viaOtherRoute'; verified: boolean }
  | { state: 'failed'; reason: string };

export const EDIT_STATES = ['accepted', 'completed', 'partial', 'failed'] as const;
/** 'accepted': stored durably, writes queued or under way. The others are final. */
export type EditState = (typeof EDIT_STATES)[number];

const FINAL_EDIT_STATES: ReadonlySet<EditState> = new Set(['completed', 'partial', 'failed']);

/** Whether an edit in this state is over: nothing more will be written or verified for it. */
export function isFinalEditState(state: EditState): boolean {
  return FINAL_EDIT_STATES.has(state);
}

export interface EditOutcome {
  requestId: string;
  linkId: string;
  /** 'accepted' while anything is pending or unverified; 'completed' when every field was written or verified. */
  state: EditState;
  perPortal: Record<Portal, Partial<Record<FieldName, FieldOutcome>>>;
  /** Both portals were read back and agree on every requested field. */
  converged: boolean;
  updatedAt: string;
  /**
   * When each of the request's comment writes was last sent, by `<portal>:<comment ref>` (one comment
   * has the same ref on both portals). A write whose answer was lost may still land: it is looked
   * for, and sent again only after a settling time.
   */
  commentsSentAt?: Record<string, string>;
}

/**
 * What a card shows of an outcome: its state and per-portal results. Bookkeeping (comment send
 * times, the instant of the last save) is left out, so saving it again changes nothing shown.
 */
export function outcomeShown(outcome: EditOutcome | null): unknown {
  if (!outcome) return null;
  const sorted = (portal: Portal) => Object.entries(outcome.perPortal[portal]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [outcome.requestId, outcome.state, outcome.converged, sorted('defender'), sorted('sentinel')];
}
