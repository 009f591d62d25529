// Where the end-to-end runs leave their files: under test-results/ only (git-ignored), so a test
// run never changes the checkout. `npm run screenshots` (scripts/refresh-screenshots.ts) copies
// the README's screenshots from a product run's folder to docs/screenshots.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Per suite: the failing steps' page screenshots and logs, the Playground's log, and screenshots/. */
export const E2E_RESULTS = {
  product: join(ROOT, 'test-results', 'e2e-product'),
  fakeBridge: join(ROOT, 'test-results', 'e2e-fake-bridge'),
} as const;

/** The screenshots a suite takes, in `<results>/screenshots/`. */
export function screenshotsDirOf(resultsDir: string): string {
  return join(resultsDir, 'screenshots');
}

/** The screenshots kept in docs/screenshots (the README shows them); the product run takes all of them. */
export const DOCS_SCREENSHOTS = [
  'incident-card.png',
  'incident-card-updated.png',
  'incident-card-alerts.png',
  'digest.png',
  'connector-approval.png',
  'connector-approval-applied.png',
  'incident-card-war-room.png',
  'incident-search.png',
] as const;

export const DOCS_SCREENSHOTS_DIR = join(ROOT, 'docs', 'screenshots');
