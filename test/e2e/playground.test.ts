// The incident card flow in the Microsoft 365 Agents Playground (headless Chromium), against the
// real bot stack over the fake bridge: faster than product.test.ts, and it isolates the bot and
// the cards from the sync engine. Its screenshots go to test-results/: the README's screenshots
// come from the real product run (product.test.ts).
import { fileURLToPath } from 'node:url';
import { describeIncidentCardFlow } from './support/incident-card-flow.ts';
import { startLocalBot } from './support/local-bot.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describeIncidentCardFlow('incident card in the Agents Playground (fake bridge)', () => startLocalBot(), {
  screenshotsDir: `${ROOT}test-results/e2e-fake-bridge/screenshots`,
  diagnosticsDir: `${ROOT}test-results/e2e-fake-bridge`,
});
