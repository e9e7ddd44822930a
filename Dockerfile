# One image for every credvend process: `worker` (default), `aws-local`, or any CLI command:
#   docker run IMAGE worker | IMAGE aws-local --host 0.0.0.0 | IMAGE templates lint FILE
# Multi-stage: the build stage compiles everything; the runtime stage holds only compiled code
# (dist/) and production dependencies of the runtime workspaces: no sources, tests, test harness
# or testcontainers.

# ---- build: full install (protobuf codegen + tsc -b through the root `prepare` script) ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && node scripts/build.mjs

# ---- deps: production dependencies of the runtime workspaces only ----
FROM node:24-bookworm-slim AS deps
WORKDIR /app
# The runtime workspaces' manifests, no code; the root manifest is cut down to those workspaces
# (npm installs every listed workspace's dependencies, and the test harness's are testcontainers).
COPY package.json package-lock.json ./
COPY scripts/runtime-manifest.mjs scripts/
COPY packages/protocol/package.json packages/protocol/
COPY packages/policy/package.json packages/policy/
COPY packages/envelope/package.json packages/envelope/
COPY packages/guard/package.json packages/guard/
COPY packages/client/package.json packages/client/
COPY packages/launcher/package.json packages/launcher/
COPY services/aws-local/package.json services/aws-local/
COPY services/worker/package.json services/worker/
COPY services/cli/package.json services/cli/
# install, not ci: the lock (kept as the base, so versions are the locked ones) lists the test
# workspaces this stage leaves out. --ignore-scripts: the root `prepare` builds with dev tools.
RUN node scripts/runtime-manifest.mjs package.json \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/package.json ./
COPY --from=build /app/packages/protocol/package.json packages/protocol/
COPY --from=build /app/packages/protocol/dist packages/protocol/dist
COPY --from=build /app/packages/policy/package.json packages/policy/
COPY --from=build /app/packages/policy/dist packages/policy/dist
COPY --from=build /app/packages/envelope/package.json packages/envelope/
COPY --from=build /app/packages/envelope/dist packages/envelope/dist
COPY --from=build /app/packages/guard/package.json packages/guard/
COPY --from=build /app/packages/guard/dist packages/guard/dist
COPY --from=build /app/packages/guard/lua packages/guard/lua
COPY --from=build /app/packages/client/package.json packages/client/
COPY --from=build /app/packages/client/dist packages/client/dist
COPY --from=build /app/packages/launcher/package.json packages/launcher/
COPY --from=build /app/packages/launcher/dist packages/launcher/dist
COPY --from=build /app/services/aws-local/package.json services/aws-local/
COPY --from=build /app/services/aws-local/dist services/aws-local/dist
COPY --from=build /app/services/worker/package.json services/worker/
COPY --from=build /app/services/worker/dist services/worker/dist
COPY --from=build /app/services/cli/package.json services/cli/
COPY --from=build /app/services/cli/dist services/cli/dist
COPY --from=build /app/services/cli/bin services/cli/bin
COPY --from=build /app/services/cli/examples services/cli/examples
# Compiled tests are not shipped.
RUN find /app/packages /app/services -name '*.test.*' -delete
USER node
# Health and metrics port of the worker (CREDVEND_HTTP_HOST must be 0.0.0.0 for other containers
# to reach it; the compose file sets it).
EXPOSE 9465
# The worker's readiness: NATS connected, Redis ready, config loaded, reply key usable. Other
# commands (aws-local) override it in compose.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CREDVEND_HTTP_PORT||9465)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 here with its own handlers: `worker` and `aws-local` listen for SIGTERM and drain
# (stop taking requests, finish those in flight, exit 0). `docker run --init` adds tini if a
# command without handlers is run.
ENTRYPOINT ["node", "services/cli/bin/credvend.js"]
CMD ["worker"]
