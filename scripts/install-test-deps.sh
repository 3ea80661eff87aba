#!/usr/bin/env bash
# Installs, once, the Debian packages the tests use. Safe to run repeatedly.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v iasl >/dev/null || need+=(acpica-tools)
command -v ncat >/dev/null || need+=(ncat)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
command -v ip >/dev/null || need+=(iproute2)          # TAP interfaces (virtio-net tests); namespaces, veths, bridges (cluster tests)
command -v setpriv >/dev/null || need+=(util-linux)   # running tern unprivileged in the TAP permission tests
# PostgreSQL: the cluster tests start a private server as the shared journal of several nodes.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
command -v extract-vmlinux >/dev/null 2>&1 || true
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
