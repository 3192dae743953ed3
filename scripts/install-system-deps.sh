#!/usr/bin/env bash
# Ensures the Prometheus/Alertmanager binaries the e2e tests drive, the Chromium the browser
# tests (test/browser) drive headless, the kubectl that renders deploy/kubernetes (its built-in
# kustomize, offline), and the tools the read-only-volume test (test/e2e/storage-readonly.test.ts) uses to
# put the database on an ext4 loop volume in a mount namespace are on PATH, and that the PostgreSQL server
# programs the PostgreSQL tests start their own throwaway clusters with (test/helpers/postgres.ts) exist.
# The Debian packages provide them; the services they ship are never started here
# (the tests run their own instances on 127.0.0.1).
set -euo pipefail

readonly BINARIES=(prometheus promtool prometheus-alertmanager amtool chromium kubectl unshare nsenter losetup mkfs.ext4 e2fsck)
# kubernetes-client is Debian's package of kubectl (1.20 on Debian 12); util-linux: unshare, nsenter;
# mount: losetup (and mount); e2fsprogs: mkfs.ext4, e2fsck.
# postgresql: the server (initdb, pg_ctl, postgres), which Debian keeps off PATH (see postgres_bindir).
readonly PACKAGES=(prometheus prometheus-alertmanager chromium kubernetes-client util-linux mount e2fsprogs postgresql)

# The package that provides each binary: only the packages of missing binaries are installed, so a tool
# already present from elsewhere (say, a kubectl from another vendor's package, which would conflict with
# kubernetes-client's /usr/bin/kubectl) is used as it is.
package_of() {
  case "$1" in
    prometheus | promtool) echo prometheus ;;
    prometheus-alertmanager | amtool) echo prometheus-alertmanager ;;
    chromium) echo chromium ;;
    kubectl) echo kubernetes-client ;;
    unshare | nsenter) echo util-linux ;;
    losetup) echo mount ;;
    mkfs.ext4 | e2fsck) echo e2fsprogs ;;
    *) echo postgresql ;;
  esac
}

# Debian installs each PostgreSQL major's server programs in /usr/lib/postgresql/<major>/bin, not on PATH.
readonly PG_LIB=/usr/lib/postgresql
readonly PG_SERVER_BINARIES=(initdb pg_ctl postgres)

# The bin directory of the highest installed major that has every server program; empty when none has.
postgres_bindir() {
  local dir major best='' best_major=-1 b complete
  for dir in "$PG_LIB"/*/bin; do
    major="${dir#"$PG_LIB"/}"
    major="${major%/bin}"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    complete=1
    for b in "${PG_SERVER_BINARIES[@]}"; do
      [[ -x "$dir/$b" ]] || complete=0
    done
    if [[ "$complete" -eq 1 && "$major" -gt "$best_major" ]]; then
      best="$dir"
      best_major="$major"
    fi
  done
  printf '%s\n' "$best"
}

missing_binaries() {
  local b
  for b in "${BINARIES[@]}"; do
    command -v "$b" >/dev/null 2>&1 || printf '%s\n' "$b"
  done
  if [[ -z "$(postgres_bindir)" ]]; then
    for b in "${PG_SERVER_BINARIES[@]}"; do printf '%s\n' "$PG_LIB/<major>/bin/$b"; done
  fi
}

# Like `head -n 1`, but reads its input to the end: `head` closes the pipe early, and a tool still
# writing (kubectl, chromium's launcher) then dies of SIGPIPE, which `set -o pipefail` turns into
# exit 141 for this script.
first_line() {
  local line=''
  IFS= read -r line || true
  cat >/dev/null
  printf '%s\n' "$line"
}

print_versions() {
  local b line
  for b in "${BINARIES[@]}"; do
    if [[ "$b" == kubectl ]]; then
      # kubectl has no --version flag; 1.20 prints `Client Version: version.Info{… GitVersion:"v1.20.2" …}`.
      line="$(kubectl version --client 2>&1 | first_line | sed -E 's/^Client Version: version\.Info\{.*GitVersion:"([^"]+)".*$/Client Version: \1/')"
      printf '%-24s %s\n' "$b" "$line"
      continue
    fi
    if [[ "$b" == mkfs.ext4 || "$b" == e2fsck ]]; then
      # e2fsprogs' tools know -V, not --version, and print on stderr.
      printf '%-24s %s\n' "$b" "$("$b" -V 2>&1 | first_line)"
      continue
    fi
    # Each tool prints a multi-line banner; the first line carries the version. Read stdout first:
    # Debian's chromium launcher (a shell script) can print its own warnings on stderr before it.
    line="$("$b" --version 2>/dev/null | first_line)"
    [[ -n "$line" ]] || line="$("$b" --version 2>&1 | first_line)"
    printf '%-24s %s\n' "$b" "$line"
  done
  local pg_bin
  pg_bin="$(postgres_bindir)"
  for b in "${PG_SERVER_BINARIES[@]}"; do
    # `postgres --version` is answered before the server's refusal to run as root.
    printf '%-24s %s\n' "$b" "$("$pg_bin/$b" --version 2>&1 | first_line) ($pg_bin)"
  done
}

missing="$(missing_binaries)"
if [[ -z "$missing" ]]; then
  print_versions
  exit 0
fi

echo "missing binaries: $(echo "$missing" | tr '\n' ' ')" >&2

if [[ "$(id -u)" -ne 0 ]]; then
  echo "not running as root; install them with:" >&2
  echo "  sudo apt-get install ${PACKAGES[*]}" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install the Debian/Ubuntu packages ${PACKAGES[*]} by other means" >&2
  exit 1
fi

apt-get update
# policy-rc.d makes the packages' postinst scripts skip starting the services (postgresql's postinst
# still creates its default cluster, which stays stopped: the tests never use it).
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy_rc" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
  chmod 0755 "$policy_rc"
  created_policy=1
fi
cleanup() { if [[ "$created_policy" -eq 1 ]]; then rm -f "$policy_rc"; fi; }
trap cleanup EXIT

mapfile -t needed < <(while IFS= read -r b; do package_of "$b"; done <<<"$missing" | sort -u)
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${needed[@]}"

missing="$(missing_binaries)"
if [[ -n "$missing" ]]; then
  echo "still missing after install: $(echo "$missing" | tr '\n' ' ')" >&2
  exit 1
fi
print_versions
