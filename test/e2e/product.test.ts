// Issues 4 and 5 end to end against the REAL product: startBridge (src/start-bridge.ts) with its embedded
// Defender XDR / Sentinel / Entra simulators, PGlite, the sync engine and the bot, driven through
// the Microsoft 365 Agents Playground in headless Chromium. Nothing is faked but Teams.
//
// 1. The incident card flow (support/incident-card-flow.ts): subscribe, the raised alert's card,
//    severity, tag, comment and "Assign to me" from the card, updated in place. Takes the README's
//    screenshots (test-results/e2e-product/screenshots; `npm run screenshots` copies them to docs/).
// 2. Both simulated portals show the edits under the analyst's name, and the analyst as owner. Severity: Graph cannot write
//    it, so the bridge writes Sentinel and the portals' own mirroring (nativeSync on) carries it to
//    Defender; the bridge leaves an audit comment in Defender naming the analyst.
// 3. Issue 12: the card's Alerts and Evidence sections opened (the sample alert carries evidence in
//    Graph's shapes), a second incident acknowledged from its card (owner and status in both
//    portals), and "/digest" answered with the digest card. Screenshots for the README.
// 4. War room (issue 13): "War room" on the card, with a colleague named, opens a group chat in the
//    simulated Teams through Graph; the bot joins it (the simulated Teams delivers the install
//    events) and posts the incident card there; the channel's card links the chat.
// 5. Incident search from the compose box (issue 13): the Playground's search-based message
//    extension finds the incident by its number; the result is inserted and sent as a card.
// 6. A connector change approved in the Playground (issue 5). The Playground has ONE signed-in user
//    (its TenantManager fixes "me" from .m365agentsplayground.yml's currentUser; the UI has no user
//    switcher) and ignores the card's `refresh` (no per-user views). So: the Playground user (Alex,
//    an approver) sets the approvers' channel in the UI; the request is filed over HTTP as another
//    Teams user (Megan) exactly as Teams would post her form submission; the approver's per-user
//    view, which Teams would fetch with its automatic refresh, is fetched the same way over HTTP and
//    shown through the Playground's connector; then Alex clicks Approve in the UI.
import { expect, test } from '@jest/globals';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { SETTING_KEYS } from '../../src/store/ports.ts';
import { createConnectorSettingsClient } from '../../src/portals/index.ts';
import { ADDED_TAG, HOSTILE_COMMENT, SEVERITY_LABEL, describeIncidentCardFlow, targetSeverity, type FlowSession } from './support/incident-card-flow.ts';
import { SEARCH_COMMAND_ID, SEARCH_PARAMETER } from '../../src/bot/routes/incident-search.ts';
import { PLAYGROUND_DEFAULTS } from './support/playground.ts';
import { SAMPLE_EVIDENCE, startProductOverSimulators, waitUntil, type ProductBot } from './support/product.ts';
import { E2E_RESULTS } from './support/results.ts';
const STEP_TIMEOUT_MS = 30_000;
const ATTRIBUTION = `[${PLAYGROUND_DEFAULTS.userName} via incident-bridge]`;
const CHANGE_NOTE = `[${PLAYGROUND_DEFAULTS.userName} via incident-bridge · change]`;

/** The Playground's default users (its built-in .m365agentsplayground.yml): the signed-in approver and a colleague. */
const ALEX = { id: 'user-id-0', name: PLAYGROUND_DEFAULTS.userName, aadObjectId: '00000000-0000-0000-0000-0000000000020' };
const MEGAN = { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' };
const APPROVERS_CHANNEL = 'Announcements';
/** The Playground's tenant (ALLOWED_TENANTS in env/.env.local): its war room chats are created there. */
const PLAYGROUND_TENANT = '00000000-0000-0000-0000-0000000000001';
/** A colleague in the simulated directory of every tenant. */
const WAR_ROOM_COLLEAGUE = 'megan.bowen@contoso.example';
const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';

function connectorClient(bot: ProductBot) {
  const pair = bot.config.pairs[0];
  if (!pair) throw new Error('the local configuration has no pair');
  const sims = bot.simulators;
  return createConnectorSettingsClient({
    tenantId: pair.tenantId, ...pair.identity, authorityHost: sims.url, armEndpoint: sims.url,
    caCertPem: sims.caCertPem, subscriptionId: pair.subscriptionId, resourceGroup: pair.resourceGroup, workspace: pair.workspace, integrationMethod: 'azurePortal',
  });
}

/** Posts an activity to the product's /api/messages as Teams would; returns the invoke answer. */
async function postToBot(bot: ProductBot, activity: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(bot.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
}

describeIncidentCardFlow('issues 4 and 5 in the Agents Playground (the real product over the simulators)', () => startProductOverSimulators({ nativeSync: true }), {
  diagnosticsDir: E2E_RESULTS.product,
  extraSteps: (session: () => FlowSession<ProductBot>) => {
    test(
      'both simulated portals show the edits under the analyst\'s name, and the analyst as owner',
      async () => {
        const { bot, step } = session();
        await step('8-portals', async () => {
          const control = bot.simulators.control;
          const target = targetSeverity(bot.sample);
          const sentinel = await waitUntil('the Sentinel copy', () => control.sentinelCounterpart(bot.defenderId));
          // Sentinel: written by the bridge (ARM capitalises severities).
          expect(sentinel.severity.toLowerCase()).toBe(target);
          expect(sentinel.labels.map((label) => label.labelName)).toContain(ADDED_TAG);
          // The bridge's comments end with the edit request's ref (` [ref 1a2b3c4d]`).
          const withoutRef = (text: string) => text.replace(/ \[ref [0-9a-f]{8}\]$/u, '');
          const sentinelComments = control.sentinelComments(sentinel.name).map((comment) => withoutRef(comment.message));
          expect(sentinelComments).toContain(`${ATTRIBUTION} ${HOSTILE_COMMENT}`);
          // "Assign to me": the Playground user's object id is not a GUID, so the owner is their UPN.
          expect(sentinel.owner.userPrincipalName).toBe(PLAYGROUND_DEFAULTS.userPrincipalName);
          // Defender: tag and comment written through Graph; severity (not writable through Graph)
          // arrives by the portals' own mirroring, and one change note names the analyst.
          const defender = await waitUntil(`Defender to show severity ${target} after the portals' sync`, () => {
            const incident = control.defenderIncidents().find((candidate) => candidate.id === bot.defenderId);
            return incident?.severity === target ? incident : null;
          });
          expect(defender.customTags).toContain(ADDED_TAG);
          expect(defender.assignedTo).toBe(PLAYGROUND_DEFAULTS.userPrincipalName);
          const defenderComments = defender.comments.map((comment) => withoutRef(comment.comment));
          expect(defenderComments).toContain(`${ATTRIBUTION} ${HOSTILE_COMMENT}`);
          // The change note is marked as one: "[Alex Wilber via incident-bridge · change] severity High".
          expect(defenderComments.some((text) => text.startsWith(CHANGE_NOTE) && /severity/i.test(text))).toBe(true);
          expect(bot.backgroundErrors()).toEqual([]);
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      "the card's Alerts and Evidence sections open: the alert with its source, severity, MITRE techniques and Defender link; the evidence defanged, never a link",
      async () => {
        const { ui, card, screenshotsDir, step } = session();
        await step('8a-alerts', async () => {
          // An Action.OpenUrl renders as a button with the link role, labelled by its title (its URL in `title`).
          const openAlert = card.getByRole('link', { name: 'Open alert' });
          expect(await openAlert.isVisible()).toBe(false);
          await ui.clickAction(card, 'Alerts (1)');
          await openAlert.waitFor({ state: 'visible' });
          await card.getByText('Defender for Endpoint · Medium', { exact: false }).waitFor();
          await card.getByText('MITRE T1059.001, T1105', { exact: false }).waitFor();
          await ui.clickAction(card, `Evidence (${SAMPLE_EVIDENCE.length})`);
          await card.getByText('fin-laptop-07[.]contoso[.]example — Windows11 23H2 · 1 alert', { exact: false }).waitFor();
          // The attacker's URL is shown defanged (the URL and the process's command line), and no
          // link anywhere on the card points to it.
          expect(await card.getByText('evil[.]example/stage2[.]ps1', { exact: false }).count()).toBe(2);
          expect(await card.locator('a[href*="evil.example"], [title*="evil.example"]').count()).toBe(0);
          await ui.screenshot(card, join(screenshotsDir, 'incident-card-alerts.png'));
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      'Acknowledge on a new incident\'s card takes it and sets it in progress, in both portals',
      async () => {
        const { bot, ui, step } = session();
        await step('8b-acknowledge', async () => {
          const second = await bot.raiseIncident({ serviceSource: 'azureAdIdentityProtection', title: 'Unfamiliar sign-in properties for jenny.kim', severity: 'high', category: 'InitialAccess', mitreTechniques: ['T1078'] });
          const cards = ui.cardsContaining('Unfamiliar sign-in properties for jenny.kim');
          await cards.first().waitFor();
          const card = cards.first();
          await card.locator('button[title="Acknowledge"]').waitFor();
          await ui.clickAction(card, 'Acknowledge');
          // One edit: owner and status in one notice, from Teams.
          await ui.waitForBotText(/tatus Active → In progress/);
          await ui.factValue(card, 'Status').getByText('In progress').waitFor();
          expect(await card.locator('button[title="Acknowledge"]').count()).toBe(0);
          const control = bot.simulators.control;
          const defender = await waitUntil('Defender to show the acknowledgement', () => {
            const incident = control.defenderIncidents().find((candidate) => candidate.id === second.defenderId);
            return incident?.status === 'inProgress' && incident.assignedTo === PLAYGROUND_DEFAULTS.userPrincipalName ? incident : null;
          });
          expect(defender.assignedTo).toBe(PLAYGROUND_DEFAULTS.userPrincipalName);
          const sentinel = await waitUntil('Sentinel to show the acknowledgement', () => {
            const incident = control.sentinelCounterpart(second.defenderId);
            return incident?.status === 'Active' && incident.owner.userPrincipalName === PLAYGROUND_DEFAULTS.userPrincipalName ? incident : null;
          });
          expect(sentinel.status).toBe('Active');
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      '"@bot /digest" posts the digest card: open incidents by severity, the last 24 hours, medians',
      async () => {
        const { bot, ui, screenshotsDir, step } = session();
        await step('8c-digest', async () => {
          // One more, which nobody takes: the digest lists it as the oldest unassigned.
          const unassigned = 'Mass download by a single user';
          await bot.raiseIncident({ serviceSource: 'microsoftCloudAppSecurity', title: unassigned, severity: 'low', category: 'Exfiltration' });
          await ui.cardsContaining(unassigned).first().waitFor();
          await ui.sendMessage('/digest', { mentionBot: true });
          await ui.waitForBotText('Incident digest');
          const digest = ui.cardsContaining('Incident digest').last();
          await digest.getByText('Median time to acknowledge (7 d)').waitFor();
          // The sample incident, the acknowledged one and the unassigned one: all open, all raised today.
          await digest.getByText(/^3 open · as of/).waitFor();
          expect((await ui.factValue(digest, 'New in the last 24 h').innerText()).trim()).toBe('3');
          await digest.getByText('Oldest unassigned (1)').waitFor();
          await digest.getByText(unassigned, { exact: false }).waitFor();
          await ui.screenshot(digest, join(screenshotsDir, 'digest.png'));
        })();
      },
      STEP_TIMEOUT_MS,
    );

    let approvalId = '';
    let approvalCard: Locator;
    let approvalSeq: string | null = null;
    let approversConversation: { id: string; reference: Record<string, unknown> } | null = null;

    test(
      `an approver runs "/connector approvers" in ${APPROVERS_CHANNEL}`,
      async () => {
        const { bot, ui, step } = session();
        await step('9-approvers-channel', async () => {
          await ui.openScope({ kind: 'channel', team: PLAYGROUND_DEFAULTS.team, channel: APPROVERS_CHANNEL });
          await ui.sendMessage('/connector approvers', { mentionBot: true });
          await ui.waitForBotText('Connector change requests will be posted to this channel');
          const store = bot.bridge.context.store;
          const id = (await store.settings.get(SETTING_KEYS.approversConversationId)) as string | null;
          const record = id ? await store.conversations.get(id) : null;
          expect(record).not.toBeNull();
          approversConversation = { id: record!.id, reference: record!.reference as Record<string, unknown> };
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      'another analyst requests turning the incident creation rules on; the shared approval card has no buttons',
      async () => {
        const { bot, ui, step } = session();
        await step('10-request', async () => {
          if (!approversConversation) throw new Error('no approvers\' channel');
          const reference = approversConversation.reference as { serviceUrl: string; conversation: Record<string, unknown>; bot: unknown };
          const live = await connectorClient(bot).read();
          expect(live.config.turnOffIncidentCreationRules).toBe(true);
          // Megan's form submission, as Teams posts it (the Playground cannot sign in a second user).
          const submit = await postToBot(bot, {
            type: 'invoke',
            name: 'adaptiveCard/action',
            id: 'e2e-megan-submit',
            channelId: 'msteams',
            serviceUrl: reference.serviceUrl,
            from: MEGAN,
            recipient: reference.bot,
            conversation: reference.conversation,
            channelData: { tenant: { id: reference.conversation['tenantId'] } },
            value: {
              action: {
                type: 'Action.Execute',
                verb: 'connectorSubmit',
                data: {
                  integrationMethod: live.config.integrationMethod,
                  incidentsAndAlerts: String(live.config.incidentsAndAlerts),
                  turnOffIncidentCreationRules: 'false',
                  entities: String(live.config.entities),
                  eventTypes: live.config.eventTypes.join(','),
                  reason: 'Sentinel analytics need the Microsoft incident creation rules during the MDE migration',
                  formVersion: live.version,
                },
              },
              trigger: 'manual',
            },
          });
          expect(submit.status).toBe(200);
          // The answer is Megan's own view of the new request (a message here would be a refusal).
          expect(JSON.stringify(submit.body)).toContain(CARD_TYPE);
          const [pending] = await bot.bridge.context.store.approvals.list({ pairId: bot.config.pairs[0]!.id, states: ['pending'] });
          expect(pending?.requester.displayName).toBe(MEGAN.name);
          approvalId = pending!.id;
          // The bridge posts the shared (button-less) card to the approvers' channel.
          const cards = ui.cardsContaining(approvalId);
          await cards.first().waitFor();
          approvalCard = cards.first();
          approvalSeq = await approvalCard.getAttribute('data-e2e-seq');
          await approvalCard.getByText('Waiting for approval').waitFor();
          await approvalCard.getByText(MEGAN.name).first().waitFor();
          expect(await approvalCard.locator('button[title="Approve"]').count()).toBe(0);
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      'the approver\'s own view (Teams\' per-user refresh) has Approve and Reject',
      async () => {
        const { bot, ui, screenshotsDir, step } = session();
        await step('11-approver-view', async () => {
          if (!approversConversation) throw new Error('no approvers\' channel');
          const reference = approversConversation.reference as { serviceUrl: string; conversation: Record<string, unknown>; bot: unknown };
          const request = await bot.bridge.context.store.approvals.get(approvalId);
          const activityId = request?.cards[approversConversation.id];
          expect(activityId).toBeDefined();
          // What Teams does for each listed user when the card is shown (the Playground never does).
          const refresh = await postToBot(bot, {
            type: 'invoke',
            name: 'adaptiveCard/action',
            id: 'e2e-alex-refresh',
            channelId: 'msteams',
            serviceUrl: reference.serviceUrl,
            from: ALEX,
            recipient: reference.bot,
            conversation: reference.conversation,
            channelData: { tenant: { id: reference.conversation['tenantId'] } },
            replyToId: activityId,
            value: { action: { type: 'Action.Execute', verb: 'connectorRefresh', data: { approvalId } }, trigger: 'automatic' },
          });
          expect(refresh.status).toBe(200);
          const answer = refresh.body as { statusCode: number; type: string; value: Record<string, unknown> };
          expect(answer.type).toBe(CARD_TYPE);
          expect(JSON.stringify(answer.value)).toContain('"verb":"connectorApprove"');
          // Teams shows that answer to this user only; the Playground has one user, so its
          // connector replaces the message (same element) with it.
          const base = reference.serviceUrl.replace(/\/$/, '');
          const conversationId = String(reference.conversation['id']);
          const put = await fetch(`${base}/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(String(activityId))}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'message', id: activityId, attachments: [{ contentType: CARD_TYPE, content: answer.value }] }),
          });
          expect(put.ok).toBe(true);
          await approvalCard.locator('button[title="Approve"]').waitFor();
          expect(await approvalCard.locator('button[title="Reject"]').count()).toBe(1);
          expect(await approvalCard.getAttribute('data-e2e-seq')).toBe(approvalSeq);
          await ui.screenshot(approvalCard, join(screenshotsDir, 'connector-approval.png'));
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      'Approve applies the change through ARM and the card shows the outcome in place',
      async () => {
        const { bot, ui, screenshotsDir, step } = session();
        await step('12-approve', async () => {
          await ui.clickAction(approvalCard, 'Approve');
          await approvalCard.getByText(/read back and confirmed/).waitFor({ timeout: 20_000 });
          await approvalCard.getByText(`Approved by ${PLAYGROUND_DEFAULTS.userName}`, { exact: false }).waitFor();
          expect(await approvalCard.locator('button[title="Approve"]').count()).toBe(0);
          expect(await approvalCard.getAttribute('data-e2e-seq')).toBe(approvalSeq);
          expect(await ui.cardsContaining(approvalId).count()).toBe(1);
          // The simulated workspace: the incident creation rules are on now.
          const live = await connectorClient(bot).read();
          expect(live.config.turnOffIncidentCreationRules).toBe(false);
          const request = await bot.bridge.context.store.approvals.get(approvalId);
          expect(request?.state).toBe('applied');
          expect(request?.decidedBy?.displayName).toBe(PLAYGROUND_DEFAULTS.userName);
          await ui.screenshot(approvalCard, join(screenshotsDir, 'connector-approval-applied.png'));
          expect(bot.backgroundErrors()).toEqual([]);
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      '"War room" with a colleague named opens a chat in the simulated Teams, the bot posts the card there, and the card links it',
      async () => {
        const { bot, ui, card, post, screenshotsDir, step } = session();
        await step('13-war-room', async () => {
          await ui.openScope({ kind: 'channel', team: PLAYGROUND_DEFAULTS.team, channel: PLAYGROUND_DEFAULTS.channel });
          await ui.clickAction(card, 'War room');
          await ui.fillInput(card, 'Add people (sign-in names, optional)', WAR_ROOM_COLLEAGUE);
          await ui.clickAction(card, 'Create war room');
          // The clicker's answer and everyone's update (the 'war-room' event) both link the chat.
          // The Playground renders an Action.OpenUrl as a link named by its title, with the URL as tooltip.
          const link = card.getByRole('link', { name: 'Open war room', exact: true });
          await link.waitFor({ timeout: 20_000 });
          expect(await card.locator('button[title="War room"]').count()).toBe(0);
          const teams = bot.simulators.teams;
          const [chat, ...others] = teams.chats(PLAYGROUND_TENANT);
          expect(others).toEqual([]);
          expect(await link.getAttribute('title')).toBe(chat?.webUrl);
          // The Playground's user id is no GUID: Graph gets their sign-in name; they are the owner too.
          expect(chat?.members.map((member) => member.userPrincipalName)).toEqual([PLAYGROUND_DEFAULTS.userPrincipalName, WAR_ROOM_COLLEAGUE]);
          expect(chat?.topic).toBe(`Incident ${bot.defenderId} (Sentinel ${(await bot.bridge.context.store.links.get(bot.sample.linkId))?.sentinelNumber}): ${bot.sample.title}`);
          // Teams told the bot, which posted the card in the chat, where it is kept current.
          const inChat = await waitUntil('the incident card in the war room chat', () => {
            const posted = teams.messages().filter((message) => message.conversationId === chat?.id);
            return posted.length > 0 ? posted : null;
          });
          expect(inChat).toHaveLength(1);
          expect(JSON.stringify(inChat[0]?.activity)).toContain(bot.sample.title);
          expect(teams.deliveries().map((delivery) => delivery.status)).toEqual([200, 200]);
          await ui.screenshot(post, join(screenshotsDir, 'incident-card-war-room.png'));
          expect(bot.backgroundErrors()).toEqual([]);
        })();
      },
      STEP_TIMEOUT_MS,
    );

    test(
      'the compose box search finds the incident by its number; the card is inserted and sent',
      async () => {
        const { bot, ui, screenshotsDir, step } = session();
        await step('14-search', async () => {
          const page = ui.page;
          await ui.openScope({ kind: 'personal' });
          await page.getByRole('button', { name: 'Trigger Message Extension App' }).click();
          await page.getByRole('menuitem', { name: 'Search Command' }).click();
          // The Playground does not read the manifest: it asks for the command and its parameter.
          await page.getByText('Specify Command ID or Parameter').click();
          await page.getByPlaceholder('Command ID').fill(SEARCH_COMMAND_ID);
          await page.getByPlaceholder('Parameter name').fill(SEARCH_PARAMETER);
          await page.getByPlaceholder('Enter a search term').fill(bot.defenderId);
          const target = targetSeverity(bot.sample);
          const result = page.getByText(`Incident ${bot.defenderId} · ${SEVERITY_LABEL[target]}`, { exact: true });
          await result.waitFor();
          const panel = page.locator('.fui-PopoverSurface').filter({ hasText: 'Search-Based Message Extension' });
          await ui.screenshot(panel, join(screenshotsDir, 'incident-search.png'));
          const cardsBefore = await ui.cardsContaining(bot.sample.title).count();
          await result.click();
          await page.getByRole('button', { name: 'Send Message', exact: true }).first().click();
          // The card the person sent, showing the incident as it is now.
          await waitUntil('the sent card', async () => (await ui.cardsContaining(bot.sample.title).count()) > cardsBefore);
          const sent = ui.cardsContaining(bot.sample.title).last();
          await sent.getByText(`Severity: ${SEVERITY_LABEL[target]}`).waitFor();
          await sent.getByRole('link', { name: 'Open war room', exact: true }).waitFor();
          // The bot gets the sent card in its own chat and says nothing to it: the next answer is
          // to the next question.
          await ui.sendMessage('/help');
          await ui.waitForBotText(/warroom/);
          // The help's last line, as rendered in the conversation (the chat list previews it as raw text).
          expect(await page.locator('p').filter({ hasText: 'is a Defender incident id or a Sentinel incident number.' }).count()).toBe(1);
          expect(bot.backgroundErrors()).toEqual([]);
        })();
      },
      STEP_TIMEOUT_MS,
    );
  },
});
