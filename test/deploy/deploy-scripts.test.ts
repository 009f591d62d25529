// The shell steps of `atk deploy` (m365agents.yml), run as the toolkit runs them: ${{VAR}}
// replaced, then bash. A fake `az` on PATH records its arguments and answers from a script of
// replies; a fake `sleep` returns at once, so the wait loop is checked without waiting.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const lifecycle = parseYaml(readFileSync(join(ROOT, 'm365agents.yml'), 'utf8')) as { deploy: { uses: string; name?: string; with: { run?: string; shell?: string } }[] };
const scripts = lifecycle.deploy.filter((action) => action.uses === 'script');

const VALUES: Record<string, string> = {
  AZURE_CONTAINER_REGISTRY_NAME: 'acrbridgetest',
  AZURE_CONTAINER_REGISTRY_LOGIN_SERVER: 'acrbridgetest.azurecr.io',
  AZURE_CONTAINER_APP_NAME: 'bridgetest-app',
  AZURE_RESOURCE_GROUP_NAME: 'rg-bridge',
  CONTAINER_IMAGE: 'acrbridgetest.azurecr.io/incident-bridge:20260101000000',
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-scripts-'));
  // az: log the arguments; for `containerapp show`, print the next reply (one per line) of replies.txt.
  writeFileSync(
    join(dir, 'az'),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> "${dir}/az.log"\nif [ "$1 $2" = "containerapp show" ]; then\n  n=$(grep -c '^containerapp show' "${dir}/az.log")\n  sed -n "\${n}p" "${dir}/replies.txt"\nfi\n`,
  );
  writeFileSync(join(dir, 'sleep'), '#!/usr/bin/env bash\nexit 0\n');
  chmodSync(join(dir, 'az'), 0o755);
  chmodSync(join(dir, 'sleep'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(step: (typeof scripts)[number], replies: string[] = []) {
  writeFileSync(join(dir, 'replies.txt'), replies.join('\n') + '\n');
  const script = (step.with.run ?? '').replace(/\$\{\{(\w+)\}\}/g, (_, name: string) => VALUES[name] ?? `<unset ${name}>`);
  expect(step.with.shell).toBe('bash');
  const result = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}` } });
  const calls = readFileSync(join(dir, 'az.log'), { encoding: 'utf8', flag: 'a+' }).split('\n').filter((line) => line.length > 0);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

describe('atk deploy scripts', () => {
  test('the build step builds ./Dockerfile in the registry under a fresh tag and records that image', () => {
    const { status, stdout, calls } = run(scripts[0] as (typeof scripts)[number]);
    expect(status).toBe(0);
    const tag = /::set-teamsfx-env CONTAINER_IMAGE=acrbridgetest\.azurecr\.io\/incident-bridge:(\d{14})\n/.exec(stdout)?.[1];
    expect(tag).toBeDefined();
    expect(calls).toEqual([`acr build --registry acrbridgetest --image incident-bridge:${tag} --file Dockerfile .`]);
  });

  test('the build step fails, and records nothing, when the build fails', () => {
    writeFileSync(join(dir, 'az'), '#!/usr/bin/env bash\necho "build failed" >&2\nexit 1\n');
    const { status, stdout } = run(scripts[0] as (typeof scripts)[number]);
    expect(status).not.toBe(0);
    expect(stdout).not.toMatch(/set-teamsfx-env/);
  });

  test('the wait step succeeds once the latest revision is ready with the new image', () => {
    const { status, stdout, calls } = run(scripts[1] as (typeof scripts)[number], ['false', 'false', 'true']);
    expect(status).toBe(0);
    expect(stdout).toContain('healthy: bridgetest-app runs acrbridgetest.azurecr.io/incident-bridge:20260101000000');
    expect(calls).toHaveLength(3);
    expect(calls[0]).toBe(
      "containerapp show --name bridgetest-app --resource-group rg-bridge --query properties.latestReadyRevisionName == properties.latestRevisionName && properties.template.containers[0].image == 'acrbridgetest.azurecr.io/incident-bridge:20260101000000' --output tsv",
    );
  });

  test('the wait step fails, saying so, when the revision never becomes ready', () => {
    const { status, stderr, calls } = run(scripts[1] as (typeof scripts)[number], Array.from({ length: 60 }, () => 'false'));
    expect(status).toBe(1);
    expect(stderr).toContain('did not become ready with acrbridgetest.azurecr.io/incident-bridge:20260101000000');
    expect(calls).toHaveLength(60);
  });

  test('az answering True (any case) counts; an error from az does not', () => {
    expect(run(scripts[1] as (typeof scripts)[number], ['True']).status).toBe(0);
    writeFileSync(join(dir, 'az'), '#!/usr/bin/env bash\necho "ERROR: not found" >&2\nexit 3\n');
    expect(run(scripts[1] as (typeof scripts)[number]).status).toBe(1);
  });
});
