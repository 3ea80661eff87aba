#!/usr/bin/env bash
# Boot to READY and host memory overhead: Tern against QEMU (microvm and q35) on the test kernel,
# same guest, RAM and vCPUs, interleaved in one run. Rewrites its section of bench/RESULTS.md.
#
#   bench/run.sh                 the benchmark (N=7 rounds; pass --rounds N etc. to override)
#   bench/run.sh --profile       Tern's startup as shipped (native) against its ReadyToRun and JIT builds
#                                and runtime settings, with the same peers; its own section
#   bench/run.sh --net           virtio-net on a TAP (needs root): frames/s and MB/s guest -> TAP and
#                                TAP -> guest, Tern against QEMU q35; its own section
#   bench/run.sh --migration     live migration over TCP and UNIX, Tern against QEMU q35: total time,
#                                guest-visible pause, downtime, bytes, throughput, the loopback and fresh-memory limits
#                                (3 rounds, about 15-20 minutes; --scenarios idle,random256,random1g,rewrite
#                                and --transports tcp,unix pick a subset for a quick run); its own section
#   bench/run.sh --migration-tls 1 GiB of random guest memory migrated over TCP with and without TLS, Tern
#                                against QEMU q35, QEMU's TLS procedure for both (tls-creds-x509 objects, -incoming
#                                defer, migrate-set-parameters tls-creds): total time, throughput and each side's CPU
#                                seconds per GiB (3 rounds, about 10 minutes); its own section
#   bench/run.sh --migration-local  same-host migration over UNIX of 2 GiB (1 GiB random): Tern handing its
#                                mem-share=on memfd over, against QEMU copying RAM and QEMU with x-ignore-shared
#                                (RAM a shared /dev/shm file): total time, pause, downtime, bytes (3 rounds,
#                                about 5 minutes); its own section
#   bench/run.sh --migration-hugetlbfs   the same with guest RAM on hugetlbfs for both VMMs (-mem-path; needs
#                                root): a mount and 2 MiB pool of the run's own, set back afterwards; its own section
#   bench/run.sh --snapshot      save to a file (`migrate` to file:, QEMU's to exec:cat) and restore (-incoming) of
#                                512 MiB and 2 GiB guests, half random, Tern against QEMU q35: save time, file size
#                                (apparent, allocated), restore time to the first TICK, the first memory check after
#                                restore, and one cold restore each (as root) (3 rounds, about 5 minutes;
#                                --snapshot-sizes 512 and --rounds 1 for a quick run); its own section
#   bench/run.sh --cluster       three tern nodes in network namespaces (needs root, PostgreSQL): failover
#                                of a killed host's 4 VMs (3 rounds), `tern ctl drain` of a host with 4 VMs
#                                of 1 GiB (3 rounds) and `tern ctl vms` latency (50 calls); its own section.
#                                TERN_CLUSTER_BENCH_ROUNDS / _CALLS override. Runs in the end-to-end test
#                                project, which holds the namespace fixture.
#   bench/run.sh --vm-processes  one tern node with its VMs in tern vm processes: a node SIGKILLed and started
#                                again with 4 VMs (time to ready and to all re-adopted, 3 rounds), `tern ctl upgrade`
#                                of a 1 GiB guest (3 rounds), and a tern vm process's memory against standalone tern
#                                and QEMU q35 on the same guest (about 3 minutes); its own section
#   bench/run.sh --cluster-tls   a 1 GiB VM live-migrated between two tern nodes on loopback, plain and with
#                                --tls (3 rounds each; TERN_CLUSTER_BENCH_ROUNDS overrides): total time,
#                                throughput, pause, CPU per GiB on each side; its own section
#   bench/run.sh --failover      a protected VM's host killed whole (needs root, PostgreSQL): time to the guest
#                                ticking on its standby (20 rounds; and 3 rounds with the manager's host as the
#                                primary's, a fresh cluster each) against Tern's cold failover of the same guest
#                                unprotected in the same run (about 9 minutes); its own section
#   bench/run.sh --replication   a standalone guest replicated (x-colo) at epochs of 25, 50 and 100 ms, idle and
#                                rewriting 32 MiB, and a network counter: checkpoint pauses, checkpoints/s, replication
#                                bandwidth, the guest's work rate and a client's request-reply time against the guest
#                                unprotected and QEMU q35 (about 5 minutes); its own section
#
# Other arguments go to tern-bench (see bench/Tern.Bench/BenchOptions.cs). Build output goes to
# $TERN_BENCH_ARTIFACTS (default /tmp/tern-bench) so it never collides with other builds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
art="${TERN_BENCH_ARTIFACTS:-/tmp/tern-bench}"
cd "$root"

# VMMs left running (by a crashed run, or tests beside this one) would take CPU and memory from the
# measurements and skew both contenders' figures: refuse to start beside them.
if stray="$(pgrep -a -f '(^|/)tern( |$)|/tern/node( |$)|qemu-system-')"; then
  echo "run.sh: other VMMs are running; stop them first so the figures are the contenders' own:" >&2
  echo "$stray" >&2
  exit 1
fi

profile=0
for arg in "$@"; do [ "$arg" = "--profile" ] && profile=1; done

# The benchmarks that run real nodes live in the end-to-end project: build what it runs, point it
# at RESULTS.md through VARIABLE, and run the one class FILTER names.
e2e_bench() { # VARIABLE FILTER
  make -C tests/guest -s >&2
  ./tern -version >/dev/null # the shipped executable the end-to-end project runs
  export "$1=$root/bench/RESULTS.md"
  export TERN_BENCH_REVISION="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
  exec dotnet test tests/Tern.EndToEnd.Tests -c Release --artifacts-path "$art/build" -nologo -nodeReuse:false -p:UseSharedCompilation=false \
    --filter "FullyQualifiedName~$2" --logger "console;verbosity=detailed"
}
case "${1:-}" in
  --cluster-tls) e2e_bench TERN_CLUSTER_TLS_BENCH_RESULTS Cluster.Bench.ClusterTlsBenchmark ;;
  --vm-processes) e2e_bench TERN_VM_PROCESS_BENCH_RESULTS Cluster.Bench.VmProcessBenchmark ;;
  --cluster) e2e_bench TERN_CLUSTER_BENCH_RESULTS Cluster.Netns.Bench.ClusterBenchmark ;;
  --replication) e2e_bench TERN_REPLICATION_BENCH_RESULTS Migration.Bench.ReplicationBenchmark ;;
  --failover) e2e_bench TERN_FAILOVER_BENCH_RESULTS Cluster.Netns.Bench.FailoverBenchmark ;;
esac

# No lingering MSBuild nodes or compiler server: they would share the machine with the measurements.
quiet_build=(-nologo -v quiet -clp:ErrorsOnly -nodeReuse:false -p:UseSharedCompilation=false)
build() { dotnet build "$1" -c Release --artifacts-path "$art/build" "${quiet_build[@]}" >&2; }

echo "publishing tern (native, as ./tern does) and building tern-bench into $art" >&2
scripts/publish-tern.sh native "$art/tern" --artifacts-path "$art/build-native" "${quiet_build[@]}" >&2
build bench/Tern.Bench/Tern.Bench.csproj
tern="$art/tern/tern"
bench="$art/build/bin/Tern.Bench/release/tern-bench"

echo "building the test kernel" >&2
# tests/guest is edited by others at times: a broken build gets two more tries a minute apart.
for try in 1 2 3; do
  make -C tests/guest -s >&2 && break
  [ "$try" = 3 ] && { echo "run.sh: the test kernel does not build" >&2; exit 1; }
  echo "run.sh: test kernel build failed; retrying in 60 s" >&2
  sleep 60
done
kernel="tests/guest/build/testkernel.elf"

command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: qemu-system-x86_64 is not installed" >&2; exit 1; }
[ -r /dev/kvm ] || { echo "run.sh: /dev/kvm is not available" >&2; exit 1; }

revision="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
extra=()
if [ "$profile" = 1 ]; then
  echo "publishing tern with ReadyToRun (its cluster build) and building it plain, for comparison" >&2
  scripts/publish-tern.sh r2r "$art/tern-r2r" --artifacts-path "$art/build-r2r" "${quiet_build[@]}" >&2
  build src/Host/Tern.Host.csproj
  r2r="$art/tern-r2r/tern"
  jit="$art/build/bin/Tern.Host/release/tern"
  extra+=(--variant "ReadyToRun (the cluster build, out/tern/node)|$r2r|"
          --variant "JIT (dotnet build)|$jit|"
          --variant "ReadyToRun, TieredPGO off|$r2r|DOTNET_TieredPGO=0"
          --variant "ReadyToRun, TieredCompilation off|$r2r|DOTNET_TieredCompilation=0")
fi

args=()
for arg in "$@"; do
  if [ "$arg" = "--migration-hugetlbfs" ]; then
    # Room for a source and a destination of the largest scenario (2 GiB each) plus a little.
    [ "$(id -u)" = 0 ] || { echo "run.sh: --migration-hugetlbfs mounts hugetlbfs and sizes its pool: run it as root" >&2; exit 1; }
    pool=/sys/kernel/mm/hugepages/hugepages-2048kB
    pool_before="$(cat $pool/nr_hugepages)"
    need=2112
    mount_dir="$(mktemp -d /tmp/tern-bench-hugetlbfs.XXXXXX)"
    trap 'umount "$mount_dir" 2>/dev/null; rmdir "$mount_dir"; echo "$pool_before" > $pool/nr_hugepages' EXIT
    free="$(cat $pool/free_hugepages)"
    [ "$free" -ge "$need" ] || echo $((pool_before + need - free)) > $pool/nr_hugepages
    [ "$(cat $pool/free_hugepages)" -ge "$need" ] || { echo "run.sh: the kernel gave the 2 MiB pool only $(cat $pool/free_hugepages) of $need free pages" >&2; exit 1; }
    mount -t hugetlbfs -o pagesize=2M none "$mount_dir"
    args+=(--migration --mem-path "$mount_dir")
  else
    args+=("$arg")
  fi
done

"$bench" --tern "$tern" --kernel "$kernel" --results bench/RESULTS.md --revision "$revision" "${extra[@]}" "${args[@]}"
