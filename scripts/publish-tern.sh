#!/usr/bin/env bash
# Publishes the `tern` executable, as ./tern and bench/run.sh need it:
#   native  NativeAOT, the executable ./tern runs (standalone VMs, `ctl`, `token`)
#   r2r     ReadyToRun, the cluster build the native one hands `node` and `ca` to
# Usage: scripts/publish-tern.sh native|r2r OUTDIR [more dotnet publish options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="$1" out="$2"
shift 2
case "$kind" in
  native) mode=(-p:PublishAot=true) ;;
  r2r) mode=(--self-contained false -p:PublishReadyToRun=true) ;;
  *) echo "publish-tern.sh: the build is native or r2r, not '$kind'" >&2; exit 1 ;;
esac
exec dotnet publish "$root/src/Host/Tern.Host.csproj" -c Release -r linux-x64 "${mode[@]}" -o "$out" "$@"
