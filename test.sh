#!/usr/bin/env bash
# Runs every test: installs the tools the tests need (gcc/make for the test kernel, QEMU and
# Debian's kernel image for the comparison and real-Linux tests), builds the test kernel and the
# solution, then runs all test projects.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-test-deps.sh
make -s -C tests/guest
# Debian's kernel, uncompressed, for the real-Linux boot test.
[ -f tests/guest/build/vmlinux-debian ] || scripts/extract-vmlinux.sh "$(ls /boot/vmlinuz-* | sort | tail -n 1)" tests/guest/build/vmlinux-debian
dotnet build Cluster.sln -c Release -nologo -v quiet -clp:ErrorsOnly
# The shipped executable (native, with the cluster build beside it), which the end-to-end tests run.
./tern -version >/dev/null
# One test project at a time (-m:1): the end-to-end tests time guests and migrations, and the
# other projects' migration tests beside them on a 2-core machine skewed those timings.
dotnet test Cluster.sln -c Release --no-build -nologo -m:1 "$@"
