// Preloaded (--import) into a bridge process by telemetry.test.ts: records every module of the
// Azure Monitor distro that the process resolves, and reports them on stderr when it exits.
import { writeSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes('/@azure/monitor-opentelemetry')) loaded.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  writeSync(2, `distro-modules: ${JSON.stringify([...loaded])}\n`);
});
