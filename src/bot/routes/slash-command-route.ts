// Registers a family of slash-style commands: matches the ones it handles (including malformed
// uses of them, which get usage help), and turns any failure into a short apology, never a stack trace.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { parseCommand, type Command, type CommandName } from '../commands/parse.ts';
import { invalidCommandText } from '../replies.ts';
import { reportUnexpected } from '../unexpected-error.ts';
import type { RouteDeps } from '../route-deps.ts';

export function registerSlashCommands(
  app: Application<TurnState>,
  deps: RouteDeps,
  handled: ReadonlySet<CommandName>,
  run: (deps: RouteDeps, context: TurnContext, command: Command) => Promise<void>,
  failureLabel: string,
): void {
  const selector = async (context: TurnContext) => {
    if (context.activity.type !== 'message') return false;
    const parsed = parseCommand(context.activity.text);
    return (parsed.kind === 'command' && handled.has(parsed.command.name)) || (parsed.kind === 'invalid' && handled.has(parsed.name));
  };
  app.message(selector, async (context) => {
    const parsed = parseCommand(context.activity.text);
    if (parsed.kind === 'invalid') {
      await context.sendActivity(invalidCommandText(parsed.reason, parsed.usage));
      return;
    }
    if (parsed.kind !== 'command') return;
    try {
      await run(deps, context, parsed.command);
    } catch (error) {
      await context.sendActivity(reportUnexpected(deps.log, error, { command: parsed.command.name, conversationId: context.activity.conversation.id }, failureLabel));
    }
  });
}
