// TeamsSender over botbuilder's CloudAdapter: each call opens a proactive turn
// (continueConversationAsync) on the stored reference and sends, updates or replies in it.
// Errors propagate unchanged (botbuilder's RestError keeps statusCode and headers), so
// guarded-sender.ts can classify them.
//
// Two botbuilder behaviours shape this file:
// - A proactive turn runs through the adapter's middleware, which hands any error thrown inside
//   the turn to onTurnError and then returns normally. Left alone, a 403 (bot removed) or a 404
//   (card deleted) would vanish into the turn-error log and the send would look successful, so
//   the conversation would never be deactivated. The work catches its own error and it is
//   rethrown after the turn.
// - The connector client already retries a 429 itself, waiting for its Retry-After (the Azure SDK
//   pipeline's throttling policy); what reaches us is what is left after those retries.
import type { Activity, CloudAdapter, TurnContext } from 'botbuilder';
import { CodedError } from '../domain/errors.ts';
import type { ProactiveReference, TeamsSender } from './ports.ts';
import { toThreadReference, toTopLevelReference } from './conversation-reference.ts';

type TurnResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs work in a proactive turn on a stored reference, returning its result or throwing its error. */
export type ProactiveTurns = <T>(reference: ProactiveReference, work: (context: TurnContext) => Promise<T>) => Promise<T>;

export function createProactiveTurns(adapter: CloudAdapter, botAppId: string | undefined): ProactiveTurns {
  // Without an app id (local clients), botbuilder sends anonymously; '' is what it expects then.
  const appId = botAppId ?? '';
  return async (reference, work) => {
    let result: TurnResult<Awaited<ReturnType<typeof work>>> | undefined;
    await adapter.continueConversationAsync(appId, reference, async (context) => {
      try {
        result = { ok: true, value: await work(context) };
      } catch (error) {
        result = { ok: false, error };
      }
    });
    if (!result) throw new CodedError('send-failed', 'The proactive turn ended before its work was done; check the bot adapter middleware.');
    if (!result.ok) throw result.error;
    return result.value;
  };
}

export function createCloudAdapterSender(adapter: CloudAdapter, botAppId: string | undefined): TeamsSender {
  const inProactiveTurn = createProactiveTurns(adapter, botAppId);

  async function sendIn(reference: ProactiveReference, activity: Partial<Activity>): Promise<{ id: string }> {
    const id = await inProactiveTurn(reference, async (context) => (await context.sendActivity(activity))?.id);
    if (!id) throw new CodedError('send-failed', 'Teams accepted the message but returned no activity id; the card cannot be updated later.');
    return { id };
  }

  return {
    send: (reference, activity) => sendIn(toTopLevelReference(reference), activity),
    reply: (reference, threadId, activity) => sendIn(toThreadReference(toTopLevelReference(reference), threadId), activity),
    update: async (reference, activityId, activity) => {
      await inProactiveTurn(reference, async (context) => {
        await context.updateActivity({ ...activity, id: activityId });
      });
    },
  };
}
