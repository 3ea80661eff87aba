using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Tests.Support;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>One real migration's source-to-destination bytes, as the recording proxy saw them.</summary>
public sealed record RecordedMigration(string Name, byte[] Stream);

/// <summary>
/// The fuzz corpus, made at test time from real migrations (the format may change, so nothing is
/// checked in): two test-kernel guests with two vCPUs and a virtio-blk disk move between two
/// VmActors on KVM through a <see cref="RecordingProxy"/>. One runs the soak workload and is held
/// in pre-copy for several rounds; the other has filled memory and halted, and is migrated paused.
/// Both streams carry zero ranges, multi-page data ranges, every state section and the commit.
/// Guests are small (32 MiB, a few MiB of data) so thousands of replays stay cheap.
/// </summary>
public sealed class MigrationCorpus : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private const int SoakRounds = 4;

    private readonly string _dir = Directory.CreateTempSubdirectory("tern-fuzz-").FullName;
    private readonly Lazy<IReadOnlyList<RecordedMigration>> _streams;
    private ActorSystem? _system;

    public MigrationCorpus()
    {
        string disk = Path.Combine(_dir, "disk.img");
        using (var f = File.Create(disk)) f.SetLength(1 << 20);
        Config = TestGuest.Config("", memoryMiB: 32) with
        {
            Drives = [new DriveConfig("rootfs", disk, ReadOnly: false, Direct: false)],
            BlockDevices = [new BlockDeviceConfig("rootfs", "rootfs", "pcie.0", new PciAddress(1, 0), "FUZZ")],
        };
        _streams = new(RecordAll);
    }

    /// <summary>The configuration every recorded guest had: a destination for the corpus must match it (its disk lives as long as this).</summary>
    public VmConfig Config { get; }

    /// <summary>Recorded on first use, so that a run without /dev/kvm only skips.</summary>
    public IReadOnlyList<RecordedMigration> Streams => _streams.Value;

    private IReadOnlyList<RecordedMigration> RecordAll()
    {
        _system = ActorSystem.Create("corpus");
        try
        {
            return
            [
                Record("soak-running-4-rounds", "mode=soak mib=1 tick_ms=5 check_every=4 blk=1", "TICK 5", pause: false, holdRounds: SoakRounds),
                Record("fill-halted-paused", "mode=fill mib=2 then=halt", "FILL ms=", pause: true, holdRounds: 0),
            ];
        }
        finally
        {
            _system.Terminate().Wait(Long);
        }
    }

    private RecordedMigration Record(string name, string append, string readyLine, bool pause, int holdRounds)
    {
        string proxyPath = Path.Combine(_dir, $"{name}-proxy.sock");
        string destinationPath = Path.Combine(_dir, $"{name}-dst.sock");
        var console = new GuestConsole();
        var source = Boot(Config with { Boot = Config.Boot with { Cmdline = append } }, console);
        var destination = Boot(Config with { IncomingEndpoint = new MigrationEndpoint(MigrationTransport.Unix, destinationPath) }, new GuestConsole());
        try
        {
            console.WaitFor(l => l.StartsWith(readyLine, StringComparison.Ordinal), Long);
            if (pause) Assert.IsType<VmProtocol.CommandDone>(source.Ask<VmProtocol.IVmMessage>(new VmProtocol.Command(VmCommand.Stop), Long).Result);
            // A downtime limit below the fixed switch-over cost never converges: pre-copy goes on
            // round after round until the limit is raised again.
            if (holdRounds > 0) source.Ask<IMigrationMessage>(new SetParameters(DowntimeLimitMs: 1), Long).Wait();

            using var proxy = new RecordingProxy(proxyPath, destinationPath);
            Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(new MigrationEndpoint(MigrationTransport.Unix, proxyPath)), Long).Result);
            if (holdRounds > 0)
            {
                WaitFor(source, i => i.Round >= holdRounds);
                source.Ask<IMigrationMessage>(new SetParameters(DowntimeLimitMs: 300), Long).Wait();
            }
            var info = WaitFor(source, i => i.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Canceled);
            Assert.True(info.Status == MigrationStatus.Completed, $"recording {name}: {info.ErrorDesc}");
            return new RecordedMigration(name, proxy.Recorded(Long));
        }
        finally
        {
            Stop(source);
            Stop(destination);
        }
    }

    private IActorRef Boot(VmConfig config, GuestConsole console)
    {
        var vm = _system!.ActorOf(VmActor.Props(config, new MachineConsole(console, null)));
        var booted = vm.Ask<VmProtocol.IVmMessage>(new VmProtocol.Boot(), Long).Result;
        Assert.True(booted is VmProtocol.Booted, $"boot: {booted}");
        return vm;
    }

    private static MigrationInfo WaitFor(IActorRef vm, Func<MigrationInfo, bool> done)
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            var info = vm.Ask<MigrationInfo>(new QueryMigrate(), Long).Result;
            if (done(info)) return info;
            Thread.Sleep(5);
        }
        throw new TimeoutException("the recorded migration did not reach the expected point");
    }

    /// <summary>Stops a VM and waits, so its guest memory and vCPU threads are gone before the fuzzing starts.</summary>
    private static void Stop(IActorRef vm) => vm.GracefulStop(Long).Wait();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
