// The catch-all: help, unknown commands, and any other message. It must be registered LAST:
// teams-ai runs the first route whose selector matches, and this one matches every message, so
// anything registered after it would never run.
import type { Application, TurnState } from '@microsoft/teams-ai';
import { parseCommand } from '../commands/parse.ts';
import { helpText, invalidCommandText, unknownCommandText } from '../replies.ts';
import type { RouteDeps } from '../route-deps.ts';

export function registerHelp(app: Application<TurnState>, _deps: RouteDeps): void {
  app.activity('message', async (context) => {
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
