#!/usr/bin/env bash
# Installs the Volunteer worker agent as a systemd service on Linux, or removes it:
#
#   install-worker.sh install [--binary PATH | --from URL [--sha256 HEX]] [--root DIR]
#   install-worker.sh uninstall [--purge] [--root DIR]
#
# install puts the single-file executable (infra/publish-worker.sh makes it; by default the one built for this machine
# under artifacts/worker/) at /usr/local/bin/volunteer-worker, creates the system user volunteer-worker (no login
# shell; its home is the state directory /var/lib/volunteer-worker), writes the service and its path unit to
# /etc/systemd/system and enables them. Then one command attaches the machine to a project, and the service starts by
# itself (see the line install prints). Running install again upgrades the executable and restarts a running agent.
#
# uninstall stops and disables the service and removes everything install wrote: the units, the executable and the
# user. The state directory (attached projects, work not yet reported) stays unless --purge is given.
#
# --root DIR installs into a scratch root instead of /: every file goes under DIR, no user is created and no systemctl
# runs (what would run is printed). For trying it out and for the tests.
set -euo pipefail

readonly name=volunteer-worker
readonly bin_path=/usr/local/bin/$name
readonly unit_dir=/etc/systemd/system
readonly state_dir=/var/lib/$name

usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

fail() {
  echo "install-worker.sh: $*" >&2
  exit 1
}

# The service; identical to infra/systemd/volunteer-worker.service (a test compares them), written here too so that
# this script installs on its own, downloaded without the repository.
service_unit() {
  cat <<'UNIT'
# The Volunteer worker agent as a system service, as infra/install-worker.sh installs it (this file and the copy in
# that script are one: a test keeps them equal). The agent runs once a project is attached:
#   sudo -u volunteer-worker volunteer-worker attach URL --account KEY --state-dir /var/lib/volunteer-worker
# (volunteer-worker.path starts this service as soon as the attach wrote the project's identity).
[Unit]
Description=Volunteer worker agent
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=volunteer-worker
Group=volunteer-worker
ExecStart=/usr/local/bin/volunteer-worker run --state-dir /var/lib/volunteer-worker
# The agent's state (identity, leased units, checkpoints, reports not yet acknowledged): the only place it writes.
StateDirectory=volunteer-worker
StateDirectoryMode=0750
Environment=DOTNET_CLI_TELEMETRY_OPTOUT=1
# SIGTERM: the agent checkpoints its units, sends what is finished and exits within 5 s; leased units resume on the
# next start. Past 10 s it is killed, which loses nothing that was checkpointed.
KillSignal=SIGTERM
TimeoutStopSec=10
Restart=on-failure
RestartSec=10
# Exit 1 is what no restart can mend (not attached, detached by the project, already running): stay down.
RestartPreventExitStatus=1
# A volunteer's machine comes first: the agent computes only on CPU time nothing else wants, and its disk I/O waits
# for everyone else's. (Its own limits, cores and throttle, are the owner's settings: volunteer-worker set.)
Nice=19
CPUSchedulingPolicy=idle
IOSchedulingClass=idle
CPUWeight=1
# Sandboxing: the agent needs its state directory and the network, nothing else of the system.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=/var/lib/volunteer-worker
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
PrivateMounts=yes
RemoveIPC=yes
SystemCallArchitectures=native
# The agent's files are its own: no other user reads its key or its work.
UMask=0077
CapabilityBoundingSet=
AmbientCapabilities=
# No MemoryDenyWriteExecute: .NET's JIT writes the machine code it then runs.

[Install]
WantedBy=multi-user.target
UNIT
}

# The path unit; identical to infra/systemd/volunteer-worker.path.
path_unit() {
  cat <<'UNIT'
# Starts volunteer-worker.service once a project is attached (its identity written under the state directory), so
# that installing and attaching are all a volunteer does. Installed by infra/install-worker.sh with the service.
[Unit]
Description=Start the Volunteer worker agent once a project is attached

[Path]
PathExistsGlob=/var/lib/volunteer-worker/projects/*/identity.json
Unit=volunteer-worker.service
# An agent that stops by itself while attached (detached by the project) is not started again and again.
TriggerLimitIntervalSec=60
TriggerLimitBurst=3

[Install]
WantedBy=multi-user.target
UNIT
}

# Runs a command on the real system; under --root, only says what it would run.
system() {
  if [ -n "$root" ]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

# The executable published for this machine in the repository this script is in, if there is one.
default_binary() {
  local arch
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "$(cd "$(dirname "$0")/.." && pwd)/artifacts/worker/linux-$arch/$name"
}

download() {
  local url=$1 to=$2
  case "$url" in
    https://* | http://*) ;;
    *) fail "--from takes an http(s) URL, not '$url'." ;;
  esac
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --output "$to" "$url" || fail "could not download $url."
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --output-document "$to" "$url" || fail "could not download $url."
  else
    fail "neither curl nor wget is installed to download $url; download it yourself and give --binary PATH."
  fi
}

install_worker() {
  local binary="" from="" sha256=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --binary) [ $# -ge 2 ] || usage; binary=$2; shift 2 ;;
      --from) [ $# -ge 2 ] || usage; from=$2; shift 2 ;;
      --sha256) [ $# -ge 2 ] || usage; sha256=$2; shift 2 ;;
      --root) [ $# -ge 2 ] || usage; root=$2; shift 2 ;;
      *) echo "install-worker.sh: unknown option '$1'." >&2; usage ;;
    esac
  done
  [ -n "$binary" ] && [ -n "$from" ] && { echo "install-worker.sh: give --binary or --from, not both." >&2; exit 2; }
  if [ -n "$sha256" ] && ! [[ "$sha256" =~ ^[0-9a-fA-F]{64}$ ]]; then
    echo "install-worker.sh: --sha256 takes the 64 hex digits of the executable's SHA-256, not '$sha256'." >&2
    exit 2
  fi
  check_root_dir
  [ -n "$root" ] || [ "$(id -u)" -eq 0 ] || fail "installing a system service needs root: run it with sudo (or try it under --root DIR)."
  # Checked before anything changes: without systemd there is no service to install (run the agent yourself instead).
  [ -n "$root" ] || [ -d /run/systemd/system ] || fail "this system does not run systemd; start the agent yourself: $name run."

  scratch=$(mktemp -d "${TMPDIR:-/tmp}/$name-install.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  if [ -n "$from" ]; then
    binary=$scratch/$name
    download "$from" "$binary"
  elif [ -z "$binary" ]; then
    binary=$(default_binary)
    [ -f "$binary" ] || fail "no executable at $binary: build it (infra/publish-worker.sh linux-x64), or give --binary PATH or --from URL."
  fi
  [ -f "$binary" ] || fail "no file at $binary."
  if [ -n "$sha256" ]; then
    echo "$sha256  $binary" | sha256sum --check --status || fail "$binary does not have the SHA-256 $sha256: not installing it."
  fi
  # An executable of another platform, or a truncated download, is refused before anything is changed.
  cp "$binary" "$scratch/candidate"
  chmod 0755 "$scratch/candidate"
  "$scratch/candidate" --help >/dev/null 2>&1 || fail "$binary does not run on this machine ($(uname -sm)); is it the linux executable for this processor?"

  mkdir -p "$root$(dirname "$bin_path")" "$root$unit_dir" "$root$state_dir"
  # Replaced by a rename, so a running agent keeps the file it started from and a new start gets the whole new one.
  install -m 0755 "$scratch/candidate" "$root$bin_path.new"
  mv -f "$root$bin_path.new" "$root$bin_path"
  service_unit >"$root$unit_dir/$name.service.new"
  path_unit >"$root$unit_dir/$name.path.new"
  chmod 0644 "$root$unit_dir/$name.service.new" "$root$unit_dir/$name.path.new"
  mv -f "$root$unit_dir/$name.service.new" "$root$unit_dir/$name.service"
  mv -f "$root$unit_dir/$name.path.new" "$root$unit_dir/$name.path"

  if [ -z "$root" ] && ! id -u "$name" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$state_dir" --no-create-home --shell "$(command -v nologin || echo /usr/sbin/nologin)" \
      --comment "Volunteer worker agent" "$name"
  fi
  # Attach runs as the service's user before the service ever started, so the state directory is made here.
  chmod 0750 "$root$state_dir"
  [ -n "$root" ] || chown "$name:$name" "$state_dir"

  system systemctl daemon-reload
  system systemctl enable "$name.service"
  system systemctl enable --now "$name.path"
  # An upgrade: the running agent stops at its checkpoints and the new executable starts from them.
  if [ -z "$root" ] && systemctl is-active --quiet "$name.service"; then
    systemctl restart "$name.service"
  fi

  local version
  version=$("$root$bin_path" --version 2>/dev/null | head -n 1) || version=""
  echo "Installed $name${version:+ $version} at $bin_path; the service starts once this machine is attached to a project:"
  echo "  sudo -u $name $name attach URL --account KEY --state-dir $state_dir"
}

uninstall_worker() {
  local purge=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --purge) purge=yes; shift ;;
      --root) [ $# -ge 2 ] || usage; root=$2; shift 2 ;;
      *) echo "install-worker.sh: unknown option '$1'." >&2; usage ;;
    esac
  done
  check_root_dir
  [ -n "$root" ] || [ "$(id -u)" -eq 0 ] || fail "removing a system service needs root: run it with sudo."

  if [ -n "$root" ] || command -v systemctl >/dev/null 2>&1; then
    # Stopping sends SIGTERM: the agent checkpoints and reports what it finished before it goes.
    system systemctl disable --now "$name.path" || true
    system systemctl disable --now "$name.service" || true
  fi
  rm -f "$root$unit_dir/$name.service" "$root$unit_dir/$name.path" "$root$bin_path"
  system systemctl daemon-reload || true
  if [ -z "$root" ] && id -u "$name" >/dev/null 2>&1; then
    userdel "$name"
  fi
  if [ -n "$purge" ]; then
    rm -rf "$root$state_dir"
  elif [ -d "$root$state_dir" ]; then
    echo "Kept $state_dir (attached projects, work not yet reported); uninstall --purge removes it."
  fi
  if [ -n "$root" ]; then
    # In a scratch root the folders above were made by install: none is left behind empty.
    for dir in "$(dirname "$bin_path")" "$unit_dir" "$(dirname "$state_dir")"; do
      while [ "$dir" != / ] && [ -d "$root$dir" ] && rmdir "$root$dir" 2>/dev/null; do
        dir=$(dirname "$dir")
      done
    done
  fi
  echo "Uninstalled $name."
}

check_root_dir() {
  if [ -n "$root" ]; then
    [ -d "$root" ] || fail "--root $root is not a directory."
    root=$(cd "$root" && pwd)
    [ "$root" != / ] || root=""
  fi
}

root=""
scratch=""
[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
  install) install_worker "$@" ;;
  uninstall) uninstall_worker "$@" ;;
  -h | --help | help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "install-worker.sh: unknown command '$command'." >&2; usage ;;
esac
