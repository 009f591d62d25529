// Where connector change requests are posted for approval: a channel per pair, or one channel for
// every pair that has none of its own. The bridge learns a channel from `/connector approvers` run
// in it (it needs the conversation's reference to post there), so this is kept in the settings.
import type { Actor } from '../domain/incident.ts';
import { SETTING_KEYS, type AuditRepository, type SettingsRepository } from '../store/ports.ts';
import { ApprovalError } from './types.ts';

/** Settings key of one pair's own approvers' channel; SETTING_KEYS.approversConversationId is every pair's. */
export function pairApproversChannelKeyOf(pairId: string): string {
  return `${SETTING_KEYS.approversConversationId}:${pairId}`;
}

/** The audit subject of approvers' channel choices (the pair, if any, is in the entry's pairId). */
export const APPROVERS_CHANNEL_AUDIT_SUBJECT = 'settings:approvers-channel';

/** Whose approvers' channel: one pair's, or the one for every pair without its own. */
export type ApproversChannelScope = { kind: 'pair'; pairId: string } | { kind: 'every-pair' };

export interface ApproversChannel {
  conversationId: string;
  /** 'pair': the pair's own channel; 'every-pair': the one shared by pairs without their own. */
  scope: ApproversChannelScope['kind'];
}

export interface ApproversChannels {
  /** The channel a pair's requests and drift announcements go to; null when none is set. */
  channelOf(pairId: string): Promise<ApproversChannel | null>;
  set(actor: Actor, scope: ApproversChannelScope, conversationId: string): Promise<void>;
}

export interface ApproversChannelsDeps {
  settings: Pick<SettingsRepository, 'get' | 'set'>;
  audit: Pick<AuditRepository, 'append'>;
  /** Checked here too, not only by the route: whoever calls, only an approver chooses. */
  isApprover: (actor: Actor) => Promise<boolean>;
  clock: () => Date;
}

export function createApproversChannels(deps: ApproversChannelsDeps): ApproversChannels {
  const read = async (key: string): Promise<string | null> => {
    const value = await deps.settings.get(key);
    return typeof value === 'string' && value.length > 0 ? value : null;
  };
  return {
    async channelOf(pairId) {
      const own = await read(pairApproversChannelKeyOf(pairId));
      if (own) return { conversationId: own, scope: 'pair' };
      const shared = await read(SETTING_KEYS.approversConversationId);
      return shared ? { conversationId: shared, scope: 'every-pair' } : null;
    },
    async set(actor, scope, conversationId) {
      if (!(await deps.isApprover(actor))) {
        throw new ApprovalError('not-approver', "Only connector approvers can choose the approvers' channel.");
      }
      const pairId = scope.kind === 'pair' ? scope.pairId : null;
      await deps.settings.set(pairId ? pairApproversChannelKeyOf(pairId) : SETTING_KEYS.approversConversationId, conversationId, actor);
      await deps.audit.append({
        at: deps.clock().toISOString(),
        actor,
        action: 'approvals.channel-set',
        subject: APPROVERS_CHANNEL_AUDIT_SUBJECT,
        pairId,
        details: { conversationId, scope: scope.kind },
      });
    },
  };
}
