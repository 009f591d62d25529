// TeamsSender over botbuilder's CloudAdapter: each call opens a proactive turn
// (continueConversationAsync) on the stored reference and sends, updates or replies in it.
// Errors propagate unchanged (botbuilder's RestError keeps statusCode and headers), so
// guarded-sender.ts can classify them.
import type { Activity, CloudAdapter } from 'botbuilder';
import { CodedError } from '../domain/errors.ts';
import type { ProactiveReference, TeamsSender } from './ports.ts';
import { toThreadReference, toTopLevelReference } from './conversation-reference.ts';

export function createCloudAdapterSender(adapter: CloudAdapter, botAppId: string | undefined): TeamsSender {
  // Without an app id (local clients), botbuilder sends anonymously; '' is what it expects then.
  const appId = botAppId ?? '';

  async function sendIn(reference: ProactiveReference, activity: Partial<Activity>): Promise<{ id: string }> {
    let id: string | undefined;
    await adapter.continueConversationAsync(appId, reference, async (context) => {
      id = (await context.sendActivity(activity))?.id;
    });
    if (!id) throw new CodedError('send-failed', 'Teams accepted the message but returned no activity id; the card cannot be updated later.');
    return { id };
  }

  return {
    send: (reference, activity) => sendIn(toTopLevelReference(reference), activity),
    reply: (reference, threadId, activity) => sendIn(toThreadReference(toTopLevelReference(reference), threadId), activity),
    update: async (reference, activityId, activity) => {
      await adapter.continueConversationAsync(appId, reference, async (context) => {
        await context.updateActivity({ ...activity, id: activityId });
      });
    },
  };
}
