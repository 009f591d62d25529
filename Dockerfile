# syntax=docker/dockerfile:1
# incident-bridge container image. Node 24 runs the TypeScript sources directly (type stripping),
# so there is no build step: one stage installs the production dependencies, the runtime stage
# copies them with the sources and runs as the unprivileged `node` user.

# --- deps: production dependencies only (the `node` dev dependency, jest, eslint, ... stay out) ---
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force

# --- runtime ---
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies stay owned by root and read-only to the process; only the data folder
# (embedded database and state, used when no DATABASE_URL is set) is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY cards ./cards
COPY src ./src
RUN mkdir .data && chown node:node .data
USER node
EXPOSE 3978
# Container Apps uses its own probes (infra/azure.bicep); this serves `docker run` and other
# runtimes. The slim image has no curl, so Node's fetch asks /livez.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1 (no npm or shell wrapper), so SIGTERM from the platform reaches the bridge's
# own shutdown handler, which stops it within 5 s. The command is package.json's start script's, less
# its `exec` (which replaces npm's script shell with Node; the exec form has no shell): the flags of
# src/runtime-flags.ts; a test keeps them equal.
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=8", "--liftoff-only", "src/main.ts"]
