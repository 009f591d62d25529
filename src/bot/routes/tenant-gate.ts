// The first check of every turn: activities from outside Teams, or from a tenant the bridge does
// not serve (tenant-policy.ts), are refused before any route runs, so they never see incident data
// and never register a conversation. Logged without message text.
import type { Application, TurnState } from '@microsoft/teams-ai';
import { scopeOfActivity, tenantOf } from '../tenant-policy.ts';
import { notServedText } from '../replies.ts';
import type { RouteDeps } from '../route-deps.ts';

export function registerTenantGate(app: Application<TurnState>, deps: RouteDeps): void {
  app.turn('beforeTurn', async (context) => {
    const activity = context.activity;
    if (scopeOfActivity(deps.tenants, activity)) return true;
    deps.log.info({ tenantId: tenantOf(activity) ?? null, channelId: activity.channelId ?? null, activityType: activity.type }, 'activity refused: channel or tenant not served');
    if (activity.type === 'message') {
      await context.sendActivity(notServedText());
    } else if (activity.type === 'invoke') {
      // Teams shows an error response's message to the person who clicked.
      await context.sendActivity({
        type: 'invokeResponse',
        value: { status: 403, body: { statusCode: 403, type: 'application/vnd.microsoft.error', value: { code: 'Forbidden', message: notServedText() } } },
      });
    }
    return false;
  });
}
