// The Dockerfile and .dockerignore, checked without a Docker engine: stages, user, health check,
// the command line against package.json's start script, and that nothing the bridge loads at run
// time is left out of the build context or the image.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, matchesGlob, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_FLAGS } from '../../src/runtime-flags.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions per stage; continuation lines joined, comments and the parser directive dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const stages: Stage[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`unparsable Dockerfile line: ${line}`);
    const keyword = (match[1] ?? '').toUpperCase();
    const args = match[2] ?? '';
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ image: from?.[1] ?? '', name: from?.[2], instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${keyword} before FROM`);
      stage.instructions.push({ keyword, args });
    }
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1) as Stage;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);

/** COPY sources of a stage (exec or shell form), without flags; the last argument is the destination. */
function copySources(stage: Stage): { from: string | undefined; sources: string[] }[] {
  return of(stage, 'COPY').map(({ args }) => {
    const words = args.split(/\s+/);
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((word) => !word.startsWith('--'));
    return { from, sources: paths.slice(0, -1) };
  });
}

/** .dockerignore semantics: patterns relative to the context root, the last matching one wins, `!` re-includes, a matched folder excludes its contents. */
function isIgnored(path: string, patterns: readonly string[]): boolean {
  const candidates = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+/, '');
    if (candidates.some((candidate) => matchesGlob(candidate, pattern))) ignored = !negated;
  }
  return ignored;
}
const ignorePatterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.length > 0 && !line.startsWith('#'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Every project file the bridge loads when started as the image starts it: the entry point's
 * relative imports, followed transitively, plus files and folders its modules address with
 * `new URL('...', import.meta.url)` (card templates, PGlite's init script).
 */
function runtimeFiles(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [resolve(ROOT, entry)];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(file, 'utf8');
    const references = [
      ...source.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g),
      ...source.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g),
      ...source.matchAll(/new URL\(\s*'(\.{1,2}\/[^']+)'\s*,\s*import\.meta\.url\s*\)/g),
    ].map((match) => resolve(dirname(file), match[1] ?? ''));
    for (const target of references) {
      if (existsSync(target) && statSync(target).isDirectory()) pending.push(...filesUnder(target));
      else pending.push(target);
    }
  }
  return [...seen].map((file) => relative(ROOT, file).split('\\').join('/')).sort();
}

describe('Dockerfile', () => {
  test('two stages on the official Node 24 image: production dependencies, then the runtime', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['deps', 'runtime']);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24-slim$/);
    expect(of(stages[0] as Stage, 'RUN').map((run) => run.args).join(' && ')).toMatch(/\bnpm ci --omit=dev\b/);
    expect(copySources(runtime).find((copy) => copy.from === 'deps')?.sources).toEqual(['/app/node_modules']);
    // No npm install of any kind in the image that runs.
    expect(of(runtime, 'RUN').map((run) => run.args).join('\n')).not.toMatch(/\bnpm\b/);
  });

  test('runs as an unprivileged user', () => {
    const users = of(runtime, 'USER').map((user) => user.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const index = (keyword: string) => runtime.instructions.findIndex((instruction) => instruction.keyword === keyword);
    expect(index('USER')).toBeLessThan(index('CMD'));
  });

  test('the command is node itself with the start script flags, so signals reach Node as PID 1', () => {
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
    const cmds = of(runtime, 'CMD');
    expect(cmds).toHaveLength(1);
    const command = JSON.parse(cmds[0]?.args ?? '') as string[]; // exec form: a JSON array, no shell
    // The start script's `exec` replaces npm's script shell with Node; the exec form has no shell to replace.
    expect(['exec', ...command]).toEqual(start.split(/\s+/));
    expect(command.slice(1, -1)).toEqual([...RUNTIME_FLAGS]);
    expect(of(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  test('a HEALTHCHECK asks /livez with node (the slim image has no curl)', () => {
    const checks = of(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const command = JSON.parse(/CMD\s+(\[.*\])$/.exec(checks[0]?.args ?? '')?.[1] ?? 'null') as string[];
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.PORT \|\| 3978\) \+ '\/livez'\)/);
  });
});

describe('.dockerignore', () => {
  const files = runtimeFiles('src/main.ts');
  const buildFiles = ['package.json', 'package-lock.json', '.npmrc'];

  test('the runtime file list is what main.ts loads (sanity: it finds imports, card templates and the PGlite init script)', () => {
    expect(files).toEqual(expect.arrayContaining(['src/main.ts', 'src/config/config.ts', 'src/store/pglite-init.ts', 'cards/incident.json']));
    expect(files.some((file) => file.startsWith('test/'))).toBe(false);
  });

  test('keeps every file the build and the runtime need in the context', () => {
    expect([...buildFiles, ...files].filter((file) => isIgnored(file, ignorePatterns))).toEqual([]);
  });

  test('and the image copies them: dependencies into deps, sources and templates into the runtime', () => {
    const covered = (stage: Stage, file: string) =>
      copySources(stage)
        .filter((copy) => copy.from === undefined)
        .some((copy) => copy.sources.some((source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`)));
    expect(buildFiles.filter((file) => !covered(stages[0] as Stage, file))).toEqual([]);
    expect([...files, 'package.json'].filter((file) => !covered(runtime, file))).toEqual([]);
  });

  test('leaves out secrets, local state and dependencies installed on the host', () => {
    for (const path of ['env/.env.dev', 'env/.env.dev.user', 'appPackage/.env.x.user', '.data/pglite/base', 'node_modules/pg/package.json', '.git/config']) {
      expect([path, isIgnored(path, ignorePatterns)]).toEqual([path, true]);
    }
  });

  test('the matcher follows Docker: last match wins, ! re-includes, a folder excludes its contents', () => {
    expect(isIgnored('a/b/c.txt', ['a'])).toBe(true);
    expect(isIgnored('a/b/c.txt', ['a/b', '!a/b/c.txt'])).toBe(false);
    expect(isIgnored('x/m365agents.yml', ['m365agents*.yml'])).toBe(false);
    expect(isIgnored('deep/x.user', ['**/*.user'])).toBe(true);
  });
});
