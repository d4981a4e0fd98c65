# syntax=docker/dockerfile:1
# One image for the three services (order, stock, payment): the service is chosen by the first
# argument (`docker run IMAGE stock`) or by SERVICE (default order). See docs/deploy.md.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: dev dependencies, the TypeScript compiler and a C++ toolchain for better-sqlite3 ---
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first: this layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc -> dist/ (the build copies the Lua scripts next to the store modules), then drop the dev
# dependencies: the compiled native addon of better-sqlite3 stays in node_modules.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies and compiled JavaScript only, run as a non-root user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SERVICE=order
WORKDIR /app
# Owned by root and read-only for the service user: a compromised process cannot rewrite its code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `node` (uid 1000) ships with the Node.js images; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# Liveness only (/health answers while the process lives); readiness (/ready) belongs to the
# orchestrator's probes. Node's own fetch: the slim image has no curl or wget.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec: node becomes PID 1 and receives SIGTERM itself (the services drain on SIGTERM).
ENTRYPOINT ["/bin/sh", "-c", "service=\"${1:-$SERVICE}\"; case \"$service\" in order|stock|payment) exec node \"dist/services/$service/main.js\" ;; *) echo \"usage: IMAGE order|stock|payment (or SERVICE=...), got '$service'\" >&2; exit 64 ;; esac", "checkout-saga"]
CMD []
