// V8 heap limits the bridge runs with (`npm start` passes the same flags; a test keeps them equal).
// V8 sizes its heap from the machine's memory and collects lazily, so on a large host an idle
// bridge grew to ~350 MB of heap holding ~100 MB of live objects. These limits keep a replica's
// resident memory near its working set (measured with bench:sync: 2,000 incidents linked on
// PostgreSQL peaked at 237 MB instead of 459 MB). Raise them for tenants with far more incidents.
export const RUNTIME_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=8'] as const;
