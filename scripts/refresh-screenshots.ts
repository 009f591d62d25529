// `npm run screenshots`: refreshes the screenshots in docs/screenshots (the README shows them) from
// a fresh run of the product's end-to-end test (test/e2e/product.test.ts). Tests write under
// test-results/ only, so `npm test` leaves the checkout as it was; this is the one command that
// changes the committed pictures, on purpose. Needs Chromium, like the test (CI=true: a missing
// browser fails the run instead of skipping it, so stale pictures are never copied).
import { spawnSync } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DOCS_SCREENSHOTS, DOCS_SCREENSHOTS_DIR, E2E_RESULTS, ROOT, screenshotsDirOf } from '../test/e2e/support/results.ts';

function main(): number {
  const startedAt = Date.now();
  const jest = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const run = spawnSync(process.execPath, ['--no-warnings=ExperimentalWarning', '--experimental-vm-modules', jest, 'test/e2e/product.test.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, CI: 'true' },
  });
  if (run.status !== 0) {
    process.stderr.write(`The product's end-to-end test failed (exit ${run.status ?? run.signal}); docs/screenshots is unchanged.\n`);
    return 1;
  }
  const from = screenshotsDirOf(E2E_RESULTS.product);
  // Check all before copying any: the pictures are one run's, or none are replaced.
  for (const name of DOCS_SCREENSHOTS) {
    const source = join(from, name);
    const taken = statSync(source, { throwIfNoEntry: false });
    if (!taken || taken.mtimeMs < startedAt) {
      process.stderr.write(`${relative(ROOT, source)} was not taken by this run; docs/screenshots is unchanged.\n`);
      return 1;
    }
  }
  for (const name of DOCS_SCREENSHOTS) copyFileSync(join(from, name), join(DOCS_SCREENSHOTS_DIR, name));
  process.stdout.write(`Copied ${DOCS_SCREENSHOTS.length} screenshots from ${relative(ROOT, from)} to ${relative(ROOT, DOCS_SCREENSHOTS_DIR)}.\n`);
  return 0;
}

process.exitCode = main();
