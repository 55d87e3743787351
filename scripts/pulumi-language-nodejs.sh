#!/bin/sh
# Installed by scripts/setup.sh beside the Pulumi CLI it builds, as `pulumi-language-nodejs`, in
# front of the Node.js language host built next to it (`pulumi-language-nodejs-host`).
#
# Why: the newest language host the Go module proxy serves (sdk/v3 v3.68.0, README "Development")
# reads the project's runtime options (Pulumi.yaml `runtime.options`) only as flags, the way the
# CLI of its day passed them (`-typescript=false` before the engine's address); today's CLI sends
# them in the run request instead, which that host ignores. Without the flags it would load
# TypeScript and ts-node before every program although Pulumi.yaml says `typescript: false`
# (0.25-0.35 s of each `pulumi up` on a 2-core machine). This passes the options the old host
# knows (typescript, nodeargs, tsconfig) as those flags, so it runs the project as an official
# install runs it. The CLI starts language hosts in the project's directory.
set -eu
host="$(dirname "$0")/pulumi-language-nodejs-host"
project=""
for candidate in Pulumi.yaml Pulumi.yml; do
  if [ -f "$candidate" ]; then
    project=$candidate
    break
  fi
done
flags=""
if [ -n "$project" ]; then
  # The `options:` block of the top-level `runtime:` mapping, one `key: value` per line at the
  # block's own indentation; quotes around a value and trailing comments are dropped.
  flags=$(awk '
    function indentation(line) { match(line, /^ */); return RLENGTH }
    /^[[:space:]]*(#|$)/ { next }
    {
      depth = indentation($0)
      if (depth == 0) { in_runtime = ($0 ~ /^runtime:[[:space:]]*$/); in_options = 0; next }
      if (in_runtime && !in_options && $0 ~ /^[[:space:]]+options:[[:space:]]*$/) {
        in_options = 1; options_depth = depth; key_depth = -1; next
      }
      if (!in_options) next
      if (depth <= options_depth) { in_options = 0; next }
      if (key_depth < 0) key_depth = depth
      if (depth != key_depth) next
      entry = substr($0, depth + 1)
      sub(/[[:space:]]+#.*$/, "", entry)
      key = entry; sub(/:.*/, "", key)
      value = entry; sub(/^[^:]*:[[:space:]]*/, "", value)
      if (value ~ /^".*"$/ || value ~ /^'\''.*'\''$/) value = substr(value, 2, length(value) - 2)
      if (key == "typescript" || key == "nodeargs" || key == "tsconfig") printf "-%s=%s\n", key, value
    }' "$project")
fi
# One flag per line (a nodeargs value may hold spaces), before the engine's arguments.
set -f
saved_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086 # split on newlines on purpose
set -- $flags "$@"
IFS=$saved_ifs
set +f
exec "$host" "$@"
