#!/usr/bin/env bash
# Runs a command with the project's tools first on PATH (Node >= 22, nats-server, nats CLI from
# .tools/), so `npm test` and friends work without sourcing .tools/env.sh by hand.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$ROOT/.tools/env.sh" ]]; then
  # shellcheck source=/dev/null
  source "$ROOT/.tools/env.sh"
fi
exec "$@"
