// What the end-to-end flow needs from the bot it drives. The fake-bridge stack (local-bot.ts)
// implements it today; the full product (main.ts over the portal simulators) can implement it
// tomorrow, and test/e2e/playground.test.ts runs unchanged against either: pass another starter.

/** The incident the flow works on, as its card first shows it. */
export interface SampleIncident {
  /** The bridge's link id (what the card's actions carry). */
  linkId: string;
  /** Exactly as the card shows it (plain text, no markup). */
  title: string;
  /** Lower-case severity, e.g. 'medium'; the flow changes it to a different one. */
  severity: 'informational' | 'low' | 'medium' | 'high';
  tags: string[];
}

export interface BotUnderTest {
  /** The bot's messaging endpoint (http://127.0.0.1:<port>/api/messages), for the Playground's -e. */
  readonly endpoint: string;
  readonly sample: SampleIncident;
  /**
   * Makes the sample incident appear in the portals (or the fake bridge), so that the bot
   * announces it as a card in every subscribed conversation.
   */
  announceSampleIncident(): Promise<void>;
  /** Resolves when the bot's background work (edits being applied, cards being sent) is done. */
  idle(): Promise<void>;
  /** Failures the bot reported in the background (logged turn errors, failed sends); [] is healthy. */
  backgroundErrors(): unknown[];
  close(): Promise<void>;
}

export type BotStarter = () => Promise<BotUnderTest>;
