// The catch-all: help, unknown commands, and any other message. It must be registered LAST:
// teams-ai runs the first route whose selector matches, and this one matches every message, so
// anything registered after it would never run.
import type { Application, TurnState } from '@microsoft/teams-ai';
import { parseCommand } from '../commands/parse.ts';
import { helpText, invalidCommandText, unknownCommandText } from '../replies.ts';
import type { RouteDeps } from '../route-deps.ts';

export function registerHelp(app: Application<TurnState>, _deps: RouteDeps): void {
  app.activity('message', async (context) => {
    // A card sent from the compose box (the incident search) is a person's message to the others,
    // not to the bot: the bot gets it only in its own chat, and has nothing to say to it. Its text
    // is at most the markup that places the card (<span class="inline-compose-card">…</span>).
    if ((context.activity.attachments ?? []).length > 0 && (context.activity.text ?? '').replace(/<[^>]*>/g, '').trim() === '') return;
    const parsed = parseCommand(context.activity.text);
    if (parsed.kind === 'unknown') {
      await context.sendActivity(unknownCommandText(parsed.name));
      return;
    }
    if (parsed.kind === 'invalid') {
      // A known command no other route claimed (should not happen); answer with its usage anyway.
      await context.sendActivity(invalidCommandText(parsed.reason, parsed.usage));
      return;
    }
    await context.sendActivity(helpText());
  });
}
