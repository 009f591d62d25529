// The incident card flow in the Microsoft 365 Agents Playground (headless Chromium), against the
// real bot stack over the fake bridge. To run it against the full product, add a file that calls
// describeIncidentCardFlow with a starter that boots main.ts over the simulators (see README.md).
import { describeIncidentCardFlow } from './support/incident-card-flow.ts';
import { startLocalBot } from './support/local-bot.ts';

describeIncidentCardFlow('incident card in the Agents Playground (fake bridge)', () => startLocalBot());
