#!/usr/bin/env bash
# Builds Switchboard's image and checks it the way an operator uses it (issue 33): start
# it, send a message through the built-in simulator, read it back delivered, stop it with
# SIGTERM (exit code 0), and start it again on the same volume: the message is still there.
# No registry base image can be pulled here, so the base is made from Debian's own
# packages (debootstrap) plus Node 24 (the binary the `node` package brought into
# node_modules) and npm; `podman build --build-arg BASE=…` takes it instead of the public
# Node image the Containerfile names. Prints the image's size and its start-to-healthy time.
# Run from a checkout after `npm ci`. Exit 0: passed; 1: failed; 77: cannot run here (why on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "container smoke: skipped: $*" >&2; exit 77; }
command -v podman >/dev/null || skip "podman is not installed"
command -v runc >/dev/null || skip "runc is not installed"
command -v debootstrap >/dev/null || skip "debootstrap is not installed"
[ -x node_modules/node/bin/node ] || skip "run npm ci first (the base takes Node 24 from node_modules/node)"

work=$(mktemp -d)
name="switchboard-smoke-$$"
cleanup() { podman rm -f "$name" "$name-2" >/dev/null 2>&1 || true; podman volume rm -f "$name-data" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# This machine's cgroups: crun refuses them and the default limits cannot be set; runc,
# without default ulimits and pids limit, runs. A configuration of our own, nothing global.
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = []
pids_limit = 0
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf"

base=localhost/switchboard-base:bookworm-node24
if ! podman image exists "$base"; then
  echo "== base: debootstrap bookworm (minbase) + Node $(node_modules/node/bin/node --version) + npm"
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  mirror=${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
  mirror=${mirror:-http://deb.debian.org/debian}
  root="$work/rootfs"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  install -m 0755 node_modules/node/bin/node "$root/usr/local/bin/node"
  strip --strip-debug "$root/usr/local/bin/node" 2>/dev/null || true
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # The machine's own trust store (its registry may sit behind a proxy with a CA of its own).
  mkdir -p "$root/etc/ssl/certs" "$root/usr/local/etc"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' > "$root/usr/local/etc/npmrc"
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | podman import --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' - "$base" >/dev/null
fi

echo "== image"
podman build --quiet --network=host --format docker --build-arg BASE="$base" -t localhost/switchboard:smoke -f Containerfile . >/dev/null
size=$(podman image inspect --format '{{.Size}}' localhost/switchboard:smoke)

port=$(node_modules/node/bin/node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
podman volume create "$name-data" >/dev/null
run() { podman run -d --name "$1" --network=host -e PORT="$port" -e SWITCHBOARD_ADMIN_KEY="$key" -v "$name-data:/data" localhost/switchboard:smoke >/dev/null; }
healthy() {
  for _ in $(seq 1 600); do
    if podman healthcheck run "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  podman logs "$1" >&2; return 1
}
api() { curl -fsS -H "authorization: Bearer $key" -H 'content-type: application/json' "$@"; }

echo "== run"
started=$(date +%s%N)
run "$name"
healthy "$name"
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
id=$(api -X POST "http://127.0.0.1:$port/v1/messages" -d '{"to":"+14155550100","body":"Hello from the container"}' | node_modules/node/bin/node -pe 'JSON.parse(require("fs").readFileSync(0)).id')
for _ in $(seq 1 100); do
  status=$(api "http://127.0.0.1:$port/v1/messages/$id" | node_modules/node/bin/node -pe 'JSON.parse(require("fs").readFileSync(0)).status')
  [ "$status" = delivered ] && break
  sleep 0.1
done
[ "$status" = delivered ] || { echo "message $id is $status, not delivered" >&2; podman logs "$name" >&2; exit 1; }

echo "== stop (SIGTERM)"
podman stop --time 30 "$name" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { echo "exit code $code after SIGTERM, not 0" >&2; podman logs "$name" >&2; exit 1; }

echo "== again, on the same volume"
run "$name-2"
healthy "$name-2"
again=$(api "http://127.0.0.1:$port/v1/messages/$id" | node_modules/node/bin/node -pe 'JSON.parse(require("fs").readFileSync(0)).status')
[ "$again" = delivered ] || { echo "after a restart the message is $again" >&2; exit 1; }
podman stop --time 30 "$name-2" >/dev/null

echo "container smoke: passed; image $(( size / 1000000 )) MB; start to healthy ${ready_ms} ms; message $id delivered, kept across a restart; SIGTERM exit 0"
