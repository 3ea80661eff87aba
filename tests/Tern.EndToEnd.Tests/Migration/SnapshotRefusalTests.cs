using System.Buffers.Binary;
using Tern.Actors.Migration.Engine.Snapshot;
using Tern.Actors.Migration.Engine.Wire;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Migration.Fuzz;
using Tern.TestSupport.Qmp;
using Xunit.Abstractions;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 20, acceptance 3: a snapshot that is truncated, incomplete, for another configuration,
/// changed after it was written, or made hostile by a fuzzer is refused by <c>tern -incoming
/// file:</c> with one line on stderr and exit 1: no signal, no stack trace, no guest.
/// </summary>
public sealed class SnapshotRefusalTests(ITestOutputHelper output) : IDisposable
{
    private const string Append = "mode=soak mib=1 tick_ms=20";
    private const string Memory = "32M";
    private const int FuzzCases = 16;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A real snapshot of a small soak guest.</summary>
    private string Saved()
    {
        string path = _dir.File("good.snap");
        using var source = Source(Append, Memory, []);
        source.WaitForTick(3);
        using var qmp = source.Connect();
        Assert.Equal("completed", (string?)SnapshotTests.Save(qmp, path)["status"]);
        qmp.Return("quit");
        return path;
    }

    private string Variant(string good, string name, Action<FileStream> change)
    {
        string path = _dir.File(name);
        File.Copy(good, path);
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        change(f);
        return path;
    }

    private static void Flip(FileStream f, long at)
    {
        f.Position = at;
        int b = f.ReadByte();
        f.Position = at;
        f.WriteByte((byte)(b ^ 0x40));
    }

    private static TernResult RestoreAlone(string path, string memory = Memory, string smp = "2") =>
        TernProcess.Run(["-machine", "q35", "-kernel", Repo.TestKernel, "-append", Append, "-m", memory, "-smp", smp,
            "-serial", "stdio", "-incoming", $"file:{path}"], TimeSpan.FromSeconds(60));

    private static void AssertRefused(TernResult result, string expected)
    {
        string stderr = result.Stderr.Trim();
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}\n{result.Output}");
        Assert.False(stderr.Contains('\n'), $"stderr is not one line:\n{stderr}");
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain(result.Stdout, l => l.StartsWith("TICK", StringComparison.Ordinal));
    }

    [KvmFact]
    public void Damaged_incomplete_and_foreign_snapshots_are_refused_with_one_line()
    {
        string good = Saved();
        long length = new FileInfo(good).Length;
        long stateAt = SnapshotFormat.RamOffset + (32L << 20);
        AssertRefused(RestoreAlone(Variant(good, "truncated.snap", f => f.SetLength(length - 1))), "truncated");
        AssertRefused(RestoreAlone(Variant(good, "appended.snap", f => f.SetLength(length + 4096))), "something was appended");
        AssertRefused(RestoreAlone(Variant(good, "header.snap", f => Flip(f, 33))), "header's checksum");
        AssertRefused(RestoreAlone(Variant(good, "state.snap", f => Flip(f, stateAt + (length - stateAt) / 2))), "state checksum");
        AssertRefused(RestoreAlone(Variant(good, "incomplete.snap", f => f.Write(new byte[SnapshotFormat.HeaderBytes]))), "not a complete snapshot");
        AssertRefused(RestoreAlone(Variant(good, "other.snap", f => f.Write("NOT-A-SNAPSHOT"u8))), "not a Tern snapshot");
        AssertRefused(RestoreAlone(good, memory: "64M"), "guest RAM");
        AssertRefused(RestoreAlone(good, smp: "1"), "configuration differs");

        var missing = RestoreAlone(_dir.File("missing.snap"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("missing.snap", missing.Stderr);

        // The untouched file still restores: the refusals above were the damage's, not the file's.
        using var restored = SnapshotTests.Restore(Append, Memory, [], good);
        restored.WaitForTick(restored.Ticks.DefaultIfEmpty(0).First() + 3);
    }

    /// <summary>
    /// The state part (an embedded migration stream) mutated by the migration stream's fuzzer, then
    /// sealed again (header with the new length and state checksum), so that each mutation reaches the
    /// stream reader and the machine's own checks rather than stopping at the checksum.
    /// </summary>
    [KvmFact]
    public void Fuzzed_snapshot_states_are_refused_without_a_crash()
    {
        string good = Saved();
        var bytes = File.ReadAllBytes(good);
        long stateAt = SnapshotFormat.RamOffset + (32L << 20);
        var mutator = new StreamMutator(bytes[(int)stateAt..]);
        int refused = 0;
        for (int seed = 1; seed <= FuzzCases; seed++)
        {
            var mutation = mutator.Next(new Random(seed));
            string what = $"seed {seed} ({mutation.Class}: {mutation.What})";
            string path = _dir.File($"fuzz-{seed}.snap");
            using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                f.Write(bytes, 0, (int)stateAt);
                f.Write(mutation.Bytes);
                f.Position = 0;
                if (mutation.Bytes.Length > 0 && mutation.Bytes.Length <= SnapshotFormat.MaxStateBytes)
                    f.Write(SnapshotFormat.EncodeHeader(32UL << 20, (ulong)mutation.Bytes.Length, Crc32C.Compute(mutation.Bytes)));
            }
            using var vm = TernProcess.Start(["-machine", "q35", "-kernel", Repo.TestKernel, "-append", Append, "-m", Memory, "-smp", "2",
                "-serial", "stdio", "-incoming", $"file:{path}"]);
            int code = vm.WaitForExit(TimeSpan.FromSeconds(10)); // killed after that: -1
            string stderr = vm.Stderr.Trim();
            if (code == -1)
            {
                Assert.True(mutation.Class == MutationClass.Reseal, $"{what}: a damaged state was accepted\n{vm.Describe()}");
                output.WriteLine($"{what}: accepted");
                continue;
            }
            Assert.True(code == 1, $"{what}: exit code {code}\n{vm.Describe()}");
            Assert.False(stderr.Contains('\n') || stderr.Length == 0, $"{what}: stderr is not one line:\n{stderr}");
            // A rewrite that passes every check may still stop the guest (its vCPU state is the fuzzer's): that is the guest's end, not a refusal.
            if (!stderr.Contains("cannot restore"))
            {
                Assert.True(mutation.Class == MutationClass.Reseal, $"{what}: not refused: {stderr}");
                output.WriteLine($"{what}: accepted, then {stderr}");
                continue;
            }
            output.WriteLine($"{what}: {stderr}");
            refused++;
        }
        Assert.True(refused >= FuzzCases / 2, $"only {refused} of {FuzzCases} refused");
    }
}
