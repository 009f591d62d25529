// The Teams roster over the Bot Framework: TeamsInfo.getMember in a proactive turn on the stored
// conversation reference. Teams looks a member up by Teams user id, UPN or Entra object id
// ("Get single member details", Microsoft Learn, Teams bots: get context). A person who is not in
// the conversation is answered with 404 (MemberNotFoundInConversation): null here, not an error.
import { TeamsInfo } from 'botbuilder';
import type { ConversationRoster, TeamsMember } from './ports.ts';
import type { ProactiveTurns } from './teams-sender.ts';
import { describeSendFailure } from './send-policy.ts';

export function createTeamsRoster(inProactiveTurn: ProactiveTurns): ConversationRoster {
  return {
    async member(reference, person) {
      try {
        const account = await inProactiveTurn(reference, (context) => TeamsInfo.getMember(context, person));
        if (!account?.id) return null;
        const member: TeamsMember = { id: account.id, name: account.name ?? '' };
        if (account.aadObjectId) member.aadObjectId = account.aadObjectId;
        if (account.userPrincipalName) member.userPrincipalName = account.userPrincipalName;
        return member;
      } catch (error) {
        if (describeSendFailure(error).status === 404) return null;
        throw error;
      }
    },
  };
}
