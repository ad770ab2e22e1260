#!/usr/bin/env bash
# Copies the files `zkbatch serve`'s API page (GET /docs) needs from npm's swagger-ui-dist
# (pinned in tools/package.json) into crates/service/assets/swagger-ui/, where the binary embeds
# them. An upgrade: bump swagger-ui-dist's version in tools/package.json, `cd tools && npm install
# --ignore-scripts --no-audit --no-fund`, run this script, commit the result. A unit test in
# crates/service/src/api/docs.rs checks the copies match tools/node_modules. Usage:
# scripts/vendor-api-viewer.sh (from any directory).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SRC="$ROOT/tools/node_modules/swagger-ui-dist"
DEST="$ROOT/crates/service/assets/swagger-ui"
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE)

[[ -f "$SRC/package.json" ]] || { echo "vendor-api-viewer: $SRC is missing: run scripts/bootstrap.sh (or npm ci in tools/)" >&2; exit 1; }
pinned="$(node -p 'require(process.argv[1]).dependencies["swagger-ui-dist"]' "$ROOT/tools/package.json")"
installed="$(node -p 'require(process.argv[1]).version' "$SRC/package.json")"
[[ "$pinned" == "$installed" ]] || { echo "vendor-api-viewer: tools/package.json pins swagger-ui-dist $pinned, tools/node_modules has $installed: run npm install in tools/" >&2; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do cp "$SRC/$f" "$DEST/$f"; done
printf '%s\n' "$installed" >"$DEST/VERSION"
echo "vendor-api-viewer: swagger-ui-dist $installed -> ${DEST#"$ROOT"/} (${FILES[*]}, VERSION)"
