#!/usr/bin/env bash
# Runs every test: installs the tools the tests need (gcc/make for the test kernel, QEMU and
# Debian's kernel image for the comparison and real-Linux tests), builds the test kernel and the
# solution, then runs all test projects.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-test-deps.sh
make -s -C tests/guest
dotnet build Cluster.sln -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet test Cluster.sln -c Release --no-build -nologo "$@"
