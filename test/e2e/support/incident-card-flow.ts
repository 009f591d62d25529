// The incident card flow, end to end, in a real Teams-like client: the Agents Playground in
// headless Chromium, talking to a bot over HTTP. Which bot is the caller's choice (a BotStarter),
// so the same steps run against the fake-bridge stack today and the full product later.
//
// The steps share one Playground session and run in order; each waits for a state the UI shows
// (a reply, a value on the card), never for a fixed time.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { openPlaygroundBrowser, type PlaygroundBrowser } from './browser.ts';
import type { BotUnderTest } from './bot-under-test.ts';
import { e2eSkipReason } from './environment.ts';
import { PLAYGROUND_DEFAULTS, startPlayground, type Playground } from './playground.ts';
import { ROOT, screenshotsDirOf } from './results.ts';

/** What steps registered after the card flow (IncidentCardFlowOptions.extraSteps) can use. */
export interface FlowSession<B extends BotUnderTest> {
  bot: B;
  ui: PlaygroundBrowser;
  playground: Playground;
  /** The incident card (the rendered element marked when it arrived) and the channel post that holds it. */
  card: Locator;
  post: Locator;
  screenshotsDir: string;
  /** Wraps a step body: on failure it leaves a page screenshot and the Playground's log behind. */
  step(label: string, body: () => Promise<void>): () => Promise<void>;
}

export interface IncidentCardFlowOptions<B extends BotUnderTest = BotUnderTest> {
  /**
   * Where a failing step leaves a page screenshot and the page's log panel, and where the
   * Playground writes its log (playground.log) and the steps their screenshots (screenshots/).
   * Emptied at the start of each run. Default: test-results/e2e. Tests write nowhere else.
   */
  diagnosticsDir?: string;
  /**
   * Registers more tests in the same describe, after the card flow's seven steps, sharing its bot,
   * Playground and browser (one start-up per file). `session()` throws when set-up failed.
   */
  extraSteps?: (session: () => FlowSession<B>) => void;
}

/** Playground start-up (about 1 s), the first page load (2-3 s), Chromium's start: generous for CI. */
const SETUP_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;

/** Severity words as the card shows them (src/domain/display-words.ts). */
export const SEVERITY_LABEL = { informational: 'Informational', low: 'Low', medium: 'Medium', high: 'High' } as const;

/** Attacker-controlled text as analysts paste it: markup and a link that must stay plain text. */
export const HOSTILE_COMMENT = 'Contained: <b>reset</b> the password, see [the runbook](https://evil.example/phish)';

/** describe() unless Chromium is missing on a machine that is not CI; then skipped with the reason printed. */
export function describeE2e(name: string, body: () => void): void {
  const reason = e2eSkipReason();
  if (reason === null) {
    describe(name, body);
    return;
  }
  process.stderr.write(`${name}: ${reason}\n`);
  describe.skip(`${name} (${reason})`, body);
}

/** The severity the flow sets: high, or low when the sample already is high. */
export function targetSeverity(sample: BotUnderTest['sample']): BotUnderTest['sample']['severity'] {
  return sample.severity === 'high' ? 'low' : 'high';
}

/** The tag the flow adds. */
export const ADDED_TAG = 'vip';

/** The card's Owner once the flow assigned the Playground user: by name, or by UPN when a portal keeps only that. */
const OWNER_SHOWN = new RegExp(`^\\s*(${PLAYGROUND_DEFAULTS.userName}|${PLAYGROUND_DEFAULTS.userPrincipalName.replace(/\./g, '\\.')})\\s*$`);

/** Severity, tags, comment, owner: each one invoke and one update of the same card. */
const EDITS = 4;

export function describeIncidentCardFlow<B extends BotUnderTest = BotUnderTest>(name: string, startBot: () => Promise<B>, options: IncidentCardFlowOptions<B> = {}): void {
  const diagnosticsDir = options.diagnosticsDir ?? join(ROOT, 'test-results', 'e2e');
  const screenshotsDir = screenshotsDirOf(diagnosticsDir);

  describeE2e(name, () => {
    let bot: B | undefined;
    let playground: Playground | undefined;
    let ui: PlaygroundBrowser | undefined;
    /** The incident card, and the channel post that holds it (marked, to prove updates are in place). */
    let card: Locator;
    let post: Locator;
    let cardSeq: string | null = null;

    const started = () => {
      if (!bot || !ui) throw new Error('set-up failed; see the first error');
      return { bot, ui };
    };

    /** Runs a step; on failure leaves a page screenshot and the Playground's log panel behind. */
    const step = (label: string, body: () => Promise<void>) => async () => {
      try {
        await body();
      } catch (error) {
        const saved = await saveDiagnostics(label).catch(() => null);
        if (saved && error instanceof Error) error.message += `\n(diagnostics: ${saved})`;
        throw error;
      }
    };

    async function saveDiagnostics(label: string): Promise<string | null> {
      if (!ui) return null;
      await mkdir(diagnosticsDir, { recursive: true });
      const base = join(diagnosticsDir, label.replace(/[^a-z0-9-]+/gi, '-'));
      await ui.page.screenshot({ path: `${base}.png`, fullPage: true });
      const page = await ui.page.locator('body').innerText();
      const logPanel = page.slice(Math.max(0, page.indexOf('Log Panel')));
      await writeFile(`${base}.log`, `${logPanel}\n\n--- Playground output ---\n${playground?.output() ?? ''}\n\n--- bot background errors ---\n${JSON.stringify(bot?.backgroundErrors() ?? [], null, 2)}\n`);
      return `${base}.png`;
    }

    beforeAll(async () => {
      // Diagnostics describe the last run only.
      await rm(diagnosticsDir, { recursive: true, force: true });
      bot = await startBot();
      // The bot first: the Playground waits for the bot's endpoint to answer before it serves.
      playground = await startPlayground({ botEndpoint: bot.endpoint, logFile: join(diagnosticsDir, 'playground.log') });
      ui = await openPlaygroundBrowser({ url: playground.url, botName: PLAYGROUND_DEFAULTS.botName });
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      // Each one even if another failed: only what this suite started, by its own handle.
      await ui?.close().catch(() => undefined);
      await playground?.stop().catch(() => undefined);
      await bot?.close().catch(() => undefined);
    }, SETUP_TIMEOUT_MS);

    test(
      'in a channel, "@bot /subscribe" is answered in the thread of the post',
      step('1-subscribe', async () => {
        const { ui } = started();
        await ui.openScope({ kind: 'channel', team: PLAYGROUND_DEFAULTS.team, channel: PLAYGROUND_DEFAULTS.channel });
        await ui.sendMessage('/subscribe', { mentionBot: true });
        const confirmation = await ui.waitForBotText(/Subscribed \(id/);
        // The reply sits in the thread of the analyst's own post, as in Teams.
        expect(await ui.messageOf(confirmation).getByText('/subscribe', { exact: true }).count()).toBe(1);
      }),
      STEP_TIMEOUT_MS,
    );

    test(
      'a change event posts the incident card in the channel',
      step('2-card-posted', async () => {
        const { bot, ui } = started();
        await bot.announceSampleIncident();
        const cards = ui.cardsContaining(bot.sample.title);
        await cards.first().waitFor();
        expect(await cards.count()).toBe(1);
        card = cards.first();
        cardSeq = await card.getAttribute('data-e2e-seq');
        post = ui.messageOf(card);
        await post.evaluate((element) => element.setAttribute('data-e2e-incident-post', 'true'));
        await card.getByText(`Severity: ${SEVERITY_LABEL[bot.sample.severity]}`).waitFor();
        for (const tag of bot.sample.tags) await card.getByText(tag, { exact: false }).first().waitFor();
        for (const action of ['Severity', 'Tags', 'Comment', 'Assign to me', 'Refresh']) {
          expect(await card.locator(`button[title="${action}"]`).count()).toBe(1);
        }
        await ui.screenshot(card, join(screenshotsDir, 'incident-card.png'));
      }),
      STEP_TIMEOUT_MS,
    );

    test(
      'Severity (Action.ShowCard) -> High -> Set severity (Action.Execute) changes the card',
      step('3-severity', async () => {
        const { bot, ui } = started();
        const target = targetSeverity(bot.sample);
        await ui.clickAction(card, 'Severity');
        await ui.chooseOption(card, 'New severity', SEVERITY_LABEL[target]);
        await ui.clickAction(card, 'Set severity');
        // The notice is the bot's last send for a change (after the card update), so once it is
        // shown the card has its final state for this edit.
        await ui.waitForBotText(new RegExp(`Severity ${SEVERITY_LABEL[bot.sample.severity]} → ${SEVERITY_LABEL[target]} by ${PLAYGROUND_DEFAULTS.userName}`));
        await card.getByText(`Severity: ${SEVERITY_LABEL[target]}`).waitFor();
      }),
      STEP_TIMEOUT_MS,
    );

    test(
      'Tags -> "+vip" -> Update tags adds the tag',
      step('4-tags', async () => {
        const { ui } = started();
        await ui.clickAction(card, 'Tags');
        await ui.fillInput(card, 'Add or remove tags', `+${ADDED_TAG}`);
        await ui.clickAction(card, 'Update tags');
        await ui.waitForBotText(new RegExp(`Tags \\+${ADDED_TAG} by ${PLAYGROUND_DEFAULTS.userName}`));
        await card.getByText(new RegExp(`\\b${ADDED_TAG}\\b`)).first().waitFor();
      }),
      STEP_TIMEOUT_MS,
    );

    test(
      'Comment -> Add comment shows the comment, as plain text',
      step('5-comment', async () => {
        const { ui } = started();
        await ui.clickAction(card, 'Comment');
        await ui.fillInput(card, 'Comment (added to both portals)', HOSTILE_COMMENT);
        await ui.clickAction(card, 'Add comment');
        await ui.waitForBotText(new RegExp(`New comment by ${PLAYGROUND_DEFAULTS.userName}`));
        await card.getByText('Latest comments').waitFor();
        // Shown literally: no bold element, no link to the attacker's site.
        await card.getByText('<b>reset</b>', { exact: false }).waitFor();
        expect(await card.locator('b, strong').count()).toBe(0);
        expect(await card.locator('a[href*="evil.example"], [title*="evil.example"]').count()).toBe(0);
      }),
      STEP_TIMEOUT_MS,
    );

    test(
      '"Assign to me" makes the Playground user the owner',
      step('6-assign', async () => {
        const { ui } = started();
        await ui.clickAction(card, 'Assign to me');
        await ui.waitForBotText(new RegExp(`Owner Unassigned → .+ by ${PLAYGROUND_DEFAULTS.userName}`));
        await ui.factValue(card, 'Owner').getByText(OWNER_SHOWN).waitFor();
      }),
      STEP_TIMEOUT_MS,
    );

    test(
      'the card was updated in place, showed each outcome, and nothing failed in the background',
      step('7-in-place', async () => {
        const { bot, ui } = started();
        await bot.idle();
        // One card for the incident, still in the post marked when it arrived, still the same
        // rendered element: every change was an updateActivity, not a new message.
        const cards = ui.cardsContaining(bot.sample.title);
        expect(await cards.count()).toBe(1);
        expect(await ui.page.locator('[data-e2e-incident-post=true]').locator(`[data-e2e-seq="${cardSeq}"]`).count()).toBe(1);
        expect(await cards.first().getAttribute('data-e2e-seq')).toBe(cardSeq);
        // The invoke answer (pending, for the clicker) and the final update (for everyone) both
        // reached the card, once per edit.
        const history = await ui.cardTextHistory(card);
        expect(history.filter((text) => text.includes('⏳ Updating…')).length).toBeGreaterThanOrEqual(EDITS);
        expect(history.filter((text) => text.includes('✅ Update applied')).length).toBeGreaterThanOrEqual(EDITS);
        // The notifier writes the card last, with the final outcome: it stays.
        expect(history.at(-1)).toContain('✅ Update applied');
        expect(history.at(-1)).not.toContain('❌');
        // The portals name the bridge's app; the card names the analyst, from Teams.
        await ui.factValue(card, 'Last modified by').getByText(`${PLAYGROUND_DEFAULTS.userName} (from Teams)`).waitFor();
        await card.getByText(`${PLAYGROUND_DEFAULTS.userName} (from Teams)`, { exact: false }).first().waitFor();
        expect(history.at(-1)).not.toContain('API-App');
        await ui.screenshot(post, join(screenshotsDir, 'incident-card-updated.png'));
        expect(bot.backgroundErrors()).toEqual([]);
      }),
      STEP_TIMEOUT_MS,
    );

    options.extraSteps?.(() => {
      if (!bot || !ui || !playground) throw new Error('set-up failed; see the first error');
      return { bot, ui, playground, card, post, screenshotsDir, step };
    });
  });
}
