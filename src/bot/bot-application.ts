// The teams-ai Application: one place that decides route order. Features register themselves
// (routes/*.ts, each a registerX(app, deps)).
import { randomBytes } from 'node:crypto';
import { Application, type TurnState } from '@microsoft/teams-ai';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import { noGroups, type GroupsOf } from './access.ts';
import { createBackgroundTasks, type BackgroundTasks } from './background.ts';
import { createIdentityResolver, type MemberLookup } from './identity.ts';
import type { TeamsSender } from './ports.ts';
import type { WarRoomService } from './war-room.ts';
import type { RouteDeps } from './route-deps.ts';
import { registerCardActions } from './routes/card-actions.ts';
import { registerCommands } from './routes/commands.ts';
import { registerHelp } from './routes/help.ts';
import { registerInstallWelcome } from './routes/install-welcome.ts';
import { registerSubscriptions } from './routes/subscriptions.ts';
import { registerTriageCommands } from './routes/triage.ts';
import { createCustomerNames, type CustomerNames } from '../domain/pair-names.ts';
import type { TriageSettings } from '../triage/settings.ts';
import { registerTenantGate } from './routes/tenant-gate.ts';
import { registerWarRoom } from './routes/war-room.ts';
import { registerIncidentSearch } from './routes/incident-search.ts';

/** What the bot needs: the route dependencies that have no default, and the optional rest. */
export interface BotDeps extends Pick<RouteDeps, 'bridge' | 'conversations' | 'subscriptions' | 'cards' | 'builders' | 'access' | 'tenants'> {
  /** Entra group ids of an actor, for group entries in ANALYSTS/APPROVERS. Default: none. */
  groupsOf?: GroupsOf;
  /** Roster lookup for UPNs. Default: TeamsInfo.getMember (cached per user). */
  lookupMember?: MemberLookup;
  /** Extra https hosts allowed on card links (the simulators in local mode). */
  allowedLinkHosts?: string[];
  /** Tracks post-turn work; pass one to await it in tests or on shutdown. */
  tasks?: BackgroundTasks;
  log?: Logger;
  now?: () => Date;
  /** Ids for new subscriptions. */
  newId?: () => string;
  /** Default 4 s: under Teams' ~5 s invoke deadline, with room for the network. */
  invokeDeadlineMs?: number;
  /** War rooms (a Teams group chat per incident); unset: /warroom and the card's button say they are not set up. */
  warRooms?: WarRoomService;
  /** Proactive sends, for answers that arrive after a turn ended (a war room opened late). */
  sender?: TeamsSender;
  /** More features (e.g. connector approvals); their routes come first (see createBotApplication). */
  features?: Array<(app: Application<TurnState>) => void>;
  /** Acknowledgement deadlines and digests (/escalation, /digest); without it those commands answer with help. */
  triage?: TriageSettings;
  /** When an incident became overdue in a conversation (triage/escalation.ts); without it cards never show overdue. */
  overdueSince?: RouteDeps['overdueSince'];
  /** How replies name an incident's customer (pair); default: never (one unnamed pair). */
  customers?: CustomerNames;
}

export function resolveRouteDeps(deps: BotDeps): RouteDeps {
  const log = deps.log ?? createSilentLogger();
  return {
    bridge: deps.bridge,
    conversations: deps.conversations,
    subscriptions: deps.subscriptions,
    cards: deps.cards,
    builders: deps.builders,
    access: deps.access,
    tenants: deps.tenants,
    groupsOf: deps.groupsOf ?? noGroups,
    identity: createIdentityResolver({ log, ...(deps.lookupMember ? { lookupMember: deps.lookupMember } : {}) }),
    tasks: deps.tasks ?? createBackgroundTasks(log),
    log,
    now: deps.now ?? (() => new Date()),
    // Short ids are easier to type in /unsubscribe; 48 random bits make a clash negligible.
    newId: deps.newId ?? (() => randomBytes(6).toString('hex')),
    allowedLinkHosts: deps.allowedLinkHosts,
    invokeDeadlineMs: deps.invokeDeadlineMs ?? 4000,
    ...(deps.triage ? { triage: deps.triage } : {}),
    ...(deps.overdueSince ? { overdueSince: deps.overdueSince } : {}),
    warRooms: deps.warRooms,
    sender: deps.sender,
    customers: deps.customers ?? createCustomerNames([]),
  };
}

export function createBotApplication(deps: BotDeps): Application<TurnState> {
  const app = new Application<TurnState>({
    // No adapter here: the HTTP server hands requests to the adapter itself, and proactive sends
    // go through the TeamsSender port. No storage: the bot keeps no per-turn state; everything
    // lasting lives in the store.
    removeRecipientMention: true,
    // teams-ai keeps one typing timer per Application, shared by concurrent turns; our replies are
    // quick, so leave it off rather than have turns stop each other's indicator.
    startTypingTimer: false,
    longRunningMessages: false,
  });
  const routeDeps = resolveRouteDeps(deps);
  // Before everything, features' turn handlers included: unserved tenants and channels stop here.
  registerTenantGate(app, routeDeps);
  // Order matters: invoke routes (card actions) first, the catch-all help last. Features come
  // before registerCardActions, whose last invoke route answers every unknown adaptiveCard/action
  // (first match wins): after it, a feature's verbs (e.g. connectorApprove) were never reached.
  for (const register of deps.features ?? []) register(app);
  // Before the card actions (its verb) and the install welcome (a war room chat gets the incident's
  // card instead of the welcome).
  registerWarRoom(app, routeDeps);
  registerIncidentSearch(app, routeDeps);
  registerCardActions(app, routeDeps);
  registerInstallWelcome(app, routeDeps);
  registerSubscriptions(app, routeDeps);
  if (deps.triage) registerTriageCommands(app, routeDeps, deps.triage);
  registerCommands(app, routeDeps);
  registerHelp(app, routeDeps);
  return app;
}
