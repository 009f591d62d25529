// The incident card flow in the Microsoft 365 Agents Playground (headless Chromium), against the
// real bot stack over the fake bridge: faster than product.test.ts, and it isolates the bot and
// the cards from the sync engine. The README's screenshots come from the real product run
// (product.test.ts).
import { describeIncidentCardFlow } from './support/incident-card-flow.ts';
import { startLocalBot } from './support/local-bot.ts';
import { E2E_RESULTS } from './support/results.ts';

describeIncidentCardFlow('incident card in the Agents Playground (fake bridge)', () => startLocalBot(), { diagnosticsDir: E2E_RESULTS.fakeBridge });
