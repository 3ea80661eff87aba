#!/usr/bin/env bash
# The main job: boots the test kernel in one Tern VM and live-migrates it into a second, printing
# the progress and the guest carrying on (StratoVirt's migration procedure, with `tern`).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-test-deps.sh
make -s -C tests/guest
exec ./tern demo tests/guest/build/testkernel.elf
