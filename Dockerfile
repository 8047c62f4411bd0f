# syntax=docker/dockerfile:1

# --- build: install all dependencies, compile TypeScript, then drop dev dependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs the package's lifecycle scripts (package.json "scripts": preinstall, postinstall,
# prepare …; none today): whatever they read must be copied before it (test/unit/containers.test.ts).
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
COPY console ./console
COPY scripts/build-console.mjs ./scripts/
RUN npm run build && npm prune --omit=dev

# --- runtime: compiled output and production dependencies only, as the non-root node user ---
FROM node:20-bookworm-slim
# jemalloc as malloc: glibc's keeps the peak of a burst of native allocations resident for good
# (docs/reliability.md "Soak"). A bare soname in LD_PRELOAD is found on any architecture.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/*
ENV LD_PRELOAD=libjemalloc.so.2
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/package.json ./package.json
# A volume mounted on /app/data inherits this ownership, so the node user can write to it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV REGISTRY_BIND_ADDRESS=0.0.0.0
# HTTP management API, AMQP, AMQPS
EXPOSE 28080 5672 5671
# Slim images have no curl: Node's own fetch probes /ready (Redis answers, HTTP and AMQP listeners up),
# so `depends_on: condition: service_healthy` waits for a registry that can serve. Orchestrators with
# separate probes use /health for liveness and /ready for readiness (docs/operations.md).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:28080/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
