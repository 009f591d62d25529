// Drives the Agents Playground's web UI in Debian's Chromium, headless, through playwright-core.
// The selectors below are the Playground's (0.2.x) own markup, found by reading its rendered DOM:
// - conversations are tree items labelled "Personal Chat", "Group Chat", "<team> - <channel>";
// - the compose box is a Lexical editor ([role=textbox][data-lexical-editor=true]); in a channel
//   the first one is "Start a new post" (sent with the "Post" button) and every post has its own
//   reply box; in chats the box is sent with the "Send Message" button;
// - typing "@" + a name opens a typeahead (#typeahead-menu) that inserts a real mention;
// - channel posts are [role=group] elements, newest first;
// - Adaptive Cards are rendered by the Adaptive Cards JS renderer (.ac-adaptiveCard, nested for
//   Action.ShowCard), buttons carry the action title in `title`, compact ChoiceSets are Fluent
//   comboboxes and inputs are labelled by their card label; a FactSet is a grid of .ac-fact-title
//   and .ac-fact-value cells, each value right after its title.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CodedError } from '../../../src/domain/errors.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with everything that phones home turned off: tests use no network
 * but loopback. --no-sandbox because CI runs as root, and Chromium refuses to start as root with
 * its sandbox on.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export type ConversationScope = { kind: 'personal' } | { kind: 'groupChat' } | { kind: 'channel'; team?: string; channel?: string };

export interface PlaygroundBrowserOptions {
  /** The Playground's UI, e.g. http://localhost:41234/. */
  url: string;
  executablePath?: string;
  /** The bot's name in the Playground (its default configuration calls it "Test Bot"). */
  botName?: string;
  /** Wide enough for a full-width card and the log panel. */
  viewport?: { width: number; height: number };
  /** Default wait for UI states (replies, cards, updates). */
  timeoutMs?: number;
}

export interface PlaygroundBrowser {
  readonly page: Page;
  /** Opens a conversation: the personal chat, the group chat or a team channel (default: My Team / General). */
  openScope(scope: ConversationScope): Promise<void>;
  /**
   * Sends a message in the open conversation: in a channel as a new post, in a chat as a message.
   * With `mentionBot`, it starts with a real @mention of the bot, as Teams needs in channels.
   */
  sendMessage(text: string, options?: { mentionBot?: boolean }): Promise<void>;
  /** Waits until a message contains `text` (pass words only the bot says); returns the newest such element. */
  waitForBotText(text: string | RegExp, timeoutMs?: number): Promise<Locator>;
  /** Top-level cards (not the nested cards of Action.ShowCard) containing `text`. */
  cardsContaining(text: string): Locator;
  /** The top-level card rendered last (the Playground stamps nothing, so the page counts insertions). */
  latestCard(): Promise<Locator>;
  /** Every distinct text (textContent) the card with this stamp showed, oldest first. */
  cardTextHistory(card: Locator): Promise<string[]>;
  /** The channel post (or chat message) that holds `element`. */
  messageOf(element: Locator): Locator;
  /** Clicks an action button of a card (Action.Execute, Action.ShowCard, Action.Submit) by its title. */
  clickAction(card: Locator, title: string): Promise<void>;
  /** Picks a choice of a compact Input.ChoiceSet by the input's label and the choice's title. */
  chooseOption(card: Locator, inputLabel: string, choiceTitle: string): Promise<void>;
  /** The value of a card's FactSet fact, by the fact's title (the Playground lays facts out as title/value grid cells). */
  factValue(card: Locator, title: string): Locator;
  /** Types into an Input.Text found by its label (replacing what is there). */
  fillInput(card: Locator, inputLabel: string, value: string): Promise<void>;
  /** Screenshot of one element (a card) to `path`; creates the folder. */
  screenshot(element: Locator, path: string): Promise<void>;
  close(): Promise<void>;
}

export class BrowserError extends CodedError<'chromium-missing' | 'ui-not-ready'> {}

// Code passed to the page (init scripts, evaluate) runs in Chromium. tsconfig has no DOM library
// (the product is server code), so this file declares the little of the DOM that code touches.
interface PageElement {
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  setAttribute(name: string, value: string): void;
  readonly textContent: string | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement>; elementFromPoint(x: number, y: number): unknown };
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { childList: boolean; subtree: boolean; characterData: boolean }): void };

interface RectElement {
  getBoundingClientRect(): { left: number; top: number; right: number; bottom: number; height: number };
  scrollIntoView(options: { block: 'center' }): void;
  contains(other: unknown): boolean;
}

const TOP_LEVEL_CARD = '.ac-adaptiveCard:not(.ac-adaptiveCard .ac-adaptiveCard)';
/** The Playground's top bar, the compose box and margins: what the window holds besides the post. */
const WINDOW_CHROME_PX = 400;

/**
 * Runs in the page: which corner of the element something else is drawn over (the Playground's
 * fixed top bar over a scrolled post), or null when all four show the element itself.
 */
function coveredCorner(node: unknown): string | null {
  const element = node as RectElement;
  const box = element.getBoundingClientRect();
  const inset = 3;
  const corners: Array<[string, number, number]> = [
    ['its top left corner', box.left + inset, box.top + inset],
    ['its top right corner', box.right - inset, box.top + inset],
    ['its bottom left corner', box.left + inset, box.bottom - inset],
    ['its bottom right corner', box.right - inset, box.bottom - inset],
  ];
  for (const [name, x, y] of corners) {
    const hit = document.elementFromPoint(x, y);
    if (hit !== element && !element.contains(hit)) return name;
  }
  return null;
}
const COMPOSE_BOX = '[role=textbox][data-lexical-editor=true]';

/**
 * Runs in the page before the Playground's own code. Stamps every top-level card with the order it
 * appeared in (so "latest" is well defined), and records each distinct text every card showed, in
 * order: a card can pass through a state (e.g. "Updating…") faster than a test can look at it.
 */
function recordCards(selector: string): void {
  let seq = 0;
  const history: { seq: number; text: string }[] = [];
  const lastText = new Map<number, string>();
  (globalThis as unknown as { __e2eCardHistory: typeof history }).__e2eCardHistory = history;
  const record = () => {
    for (const element of document.querySelectorAll(selector)) {
      if (!element.hasAttribute('data-e2e-seq')) element.setAttribute('data-e2e-seq', String(++seq));
      const id = Number(element.getAttribute('data-e2e-seq'));
      const text = element.textContent ?? '';
      if (lastText.get(id) !== text) {
        lastText.set(id, text);
        history.push({ seq: id, text });
      }
    }
  };
  new MutationObserver(record).observe(document, { childList: true, subtree: true, characterData: true });
}

/** Only the Playground itself: its UI pulls fonts and animations from a CDN, which tests must not reach. */
function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  } catch {
    return false;
  }
}

export async function openPlaygroundBrowser(options: PlaygroundBrowserOptions): Promise<PlaygroundBrowser> {
  const botName = options.botName ?? 'Test Bot';
  const timeoutMs = options.timeoutMs ?? 15_000;
  const userDataDir = await mkdtemp(join(tmpdir(), 'e2e-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: options.executablePath ?? CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: options.viewport ?? { width: 1400, height: 1000 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new BrowserError('chromium-missing', `Could not launch Chromium at ${options.executablePath ?? CHROMIUM_PATH}: install it (apt-get install chromium).`, { cause: error });
  }
  context.setDefaultTimeout(timeoutMs);
  await context.route('**/*', (route) => (isLoopback(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  await context.addInitScript(recordCards, TOP_LEVEL_CARD);
  const page = context.pages()[0] ?? (await context.newPage());
  let scope: ConversationScope = { kind: 'personal' };

  try {
    await page.goto(options.url);
    await page.locator(COMPOSE_BOX).first().waitFor();
  } catch (error) {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
    throw new BrowserError('ui-not-ready', `The Playground UI at ${options.url} showed no compose box: is the Playground running and connected to the bot?`, { cause: error });
  }

  const browser: PlaygroundBrowser = {
    page,

    async openScope(next) {
      const label =
        next.kind === 'personal' ? 'Personal Chat' : next.kind === 'groupChat' ? 'Group Chat' : `${next.team ?? 'My Team'} - ${next.channel ?? 'General'}`;
      await page.locator(`[role=treeitem][aria-label="${label}"]`).click();
      if (next.kind === 'channel') await page.getByText('Start a new post').waitFor();
      scope = next;
    },

    async sendMessage(text, sendOptions = {}) {
      const box = page.locator(COMPOSE_BOX).first();
      await box.click();
      if (sendOptions.mentionBot) {
        // A typed "@Name" is plain text; only the typeahead inserts a mention (an <at> entity).
        await page.keyboard.type(`@${botName.slice(0, 4)}`);
        await page.locator('#typeahead-menu [role=menuitem]', { hasText: botName }).click();
        await page.keyboard.type(' ');
      }
      await page.keyboard.type(text);
      if (scope.kind === 'channel') await page.getByRole('button', { name: 'Post', exact: true }).click();
      else await page.getByRole('button', { name: 'Send Message', exact: true }).first().click();
    },

    async waitForBotText(text, waitMs = timeoutMs) {
      // The newest match. Messages carry no author marker the page can filter on, so callers pass
      // text that only the bot says (not what the user typed).
      const found = page.getByText(text).last();
      await found.waitFor({ timeout: waitMs });
      return found;
    },

    cardsContaining(text) {
      return page.locator(TOP_LEVEL_CARD).filter({ hasText: text });
    },

    async latestCard() {
      const seq = await page.evaluate((selector) => {
        const seqs = [...document.querySelectorAll(selector)].map((element) => Number(element.getAttribute('data-e2e-seq')));
        return seqs.length > 0 ? Math.max(...seqs) : null;
      }, `${TOP_LEVEL_CARD}[data-e2e-seq]`);
      if (seq === null) throw new Error('No Adaptive Card is shown in the Playground yet.');
      return page.locator(`${TOP_LEVEL_CARD}[data-e2e-seq="${seq}"]`);
    },

    async cardTextHistory(card) {
      const seq = Number(await card.getAttribute('data-e2e-seq'));
      return page.evaluate(
        (wanted) => (globalThis as unknown as { __e2eCardHistory: { seq: number; text: string }[] }).__e2eCardHistory.filter((entry) => entry.seq === wanted).map((entry) => entry.text),
        seq,
      );
    },

    messageOf(element) {
      // Posts are [role=group]; the innermost one that holds the element comes last in document order.
      return page.locator('[role=group]').filter({ has: element }).last();
    },

    async clickAction(card, title) {
      await card.locator(`button[title="${title.replace(/"/g, '\\"')}"]`).first().click();
    },

    async chooseOption(card, inputLabel, choiceTitle) {
      const combobox = card.getByRole('combobox', { name: inputLabel });
      await combobox.click();
      await page.getByRole('option', { name: choiceTitle, exact: true }).click();
      const shown = await combobox.inputValue();
      if (shown !== choiceTitle) throw new Error(`The choice set '${inputLabel}' shows '${shown}' after choosing '${choiceTitle}'.`);
    },

    factValue(card, title) {
      return card.locator('.ac-fact-title').filter({ hasText: new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).first().locator('xpath=following-sibling::*[1]');
    },

    async fillInput(card, inputLabel, value) {
      await card.getByLabel(inputLabel).first().fill(value);
    },

    async screenshot(element, path) {
      await mkdir(dirname(path), { recursive: true });
      // A post taller than the message pane would be captured in pieces, under the Playground's
      // fixed top bar: make the window tall enough to show it whole, centred, then check that
      // nothing covers it before taking the picture.
      const original = page.viewportSize();
      const height = await element.evaluate((node) => (node as unknown as RectElement).getBoundingClientRect().height);
      if (original && height + WINDOW_CHROME_PX > original.height) await page.setViewportSize({ width: original.width, height: Math.ceil(height + WINDOW_CHROME_PX) });
      try {
        await element.evaluate((node) => (node as unknown as RectElement).scrollIntoView({ block: 'center' }));
        const covered = await element.evaluate(coveredCorner);
        if (covered) throw new Error(`Cannot take ${path}: ${covered} is covered by another element of the page.`);
        await element.screenshot({ path, animations: 'disabled' });
      } finally {
        if (original) await page.setViewportSize(original);
      }
    },

    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
  return browser;
}
