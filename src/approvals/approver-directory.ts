// Remembers the Teams user ids (29:…) of approvers as they talk to the bot, so approval cards can
// name them in Universal Actions `refresh.userIds` and Teams fetches their view (with Approve and
// Reject) automatically. Teams honours at most 60 ids per card; the most recently seen are kept.
import type { SettingsRepository } from '../store/ports.ts';

export const APPROVER_TEAMS_IDS_KEY = 'approvals.approverTeamsIds';
export const MAX_REFRESH_USER_IDS = 60;

export interface ApproverDirectory {
  /** Records `teamsUserId` as an approver's; cheap when already known. */
  remember(teamsUserId: string): Promise<void>;
  /** Up to 60 ids, most recently seen first. */
  refreshUserIds(): Promise<string[]>;
}

function idsFrom(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
}

export function createApproverDirectory(settings: Pick<SettingsRepository, 'get' | 'set'>): ApproverDirectory {
  let known: string[] | null = null;
  return {
    async remember(teamsUserId) {
      if (!/^29:[\w\-.:]{1,200}$/.test(teamsUserId)) return;
      known ??= idsFrom(await settings.get(APPROVER_TEAMS_IDS_KEY));
      if (known[0] === teamsUserId) return;
      known = [teamsUserId, ...known.filter((id) => id !== teamsUserId)].slice(0, MAX_REFRESH_USER_IDS);
      await settings.set(APPROVER_TEAMS_IDS_KEY, known);
    },
    async refreshUserIds() {
      // Read through: another replica may have seen an approver this one has not.
      known = idsFrom(await settings.get(APPROVER_TEAMS_IDS_KEY));
      return known;
    },
  };
}
