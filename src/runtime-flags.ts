// V8 heap limits the bridge runs with (`npm start` passes the same flags; a test keeps them equal).
// V8 sizes its heap from the machine's memory and collects lazily, so on a large host an idle
// bridge grew to ~350 MB of heap holding ~100 MB of live objects. These limits keep a replica's
// resident memory near its working set (measured with bench:sync: 2,000 incidents linked on
// PostgreSQL peaked at 237 MB instead of 459 MB). Raise them for tenants with far more incidents.
// --liftoff-only: embedded mode runs PostgreSQL as WebAssembly (PGlite). V8 recompiles its hot
// functions with the optimizing compiler (TurboFan) in the background, which for PostgreSQL's large
// functions takes ~450 MB of native memory for a moment and set the replica's peak RSS (~720 MB
// after start-up). The baseline compiler alone keeps it near 230 MB at about the same query
// throughput (bench/embedded-memory.ts). Node refuses this flag in NODE_OPTIONS and ignores it when
// set at run time (v8.setFlagsFromString), so it has to be on the command line.
export const RUNTIME_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=8', '--liftoff-only'] as const;
