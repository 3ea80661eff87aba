using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// Every cluster message and persisted event survives the serializer hocon/cluster.conf binds it
/// to. The list of samples is checked against the assembly, so a new message without a sample
/// fails here instead of on the wire.
/// </summary>
public sealed class ClusterSerializationTests() : TestKit(ClusterTestConfig.Create(Path.Combine(Path.GetTempPath(), "unused.db")))
{
    private static readonly VmDefinition Definition = new("v1", "/k", "/i", "mode=ticks", 256 * MiB, 2, ["/d0", "/d1"], "grp",
        [new VmNic("br0", "52:54:00:12:34:56"), new VmNic("br1", "52:54:00:12:34:57")]);
    private static readonly HostLoad SampleLoad = new(T0, 4, 0.25, 16 * 1024 * MiB, 8 * 1024 * MiB, 15 * 1024 * MiB, 512 * MiB, 3);
    private static readonly VmRuntime Runtime = new("v1", 3, VmRunPhase.Running, 256 * MiB, 2, 0.5);
    private static readonly MigrationReport Report = new("v1", "h1", "h2", "active", 3, 12 * MiB, 256 * MiB, 300 * MiB, 812.5, 40, null, 1200, null);

    public static IEnumerable<IClusterMessage> Samples() =>
    [
        new CreateVm(Definition), new StartVm("v1"),
        // As the HTTP API builds them: lists from JSON, not the compiler's collection types.
        new CreateVm(Definition with { Disks = new List<VmDisk> { new("/d0", true) }, Nics = new List<VmNic> { new("br0") } }),
        new HostReport("h1", "a", SampleLoad, new List<VmRuntime> { Runtime }), new StopVm("v1"), new DeleteVm("v1"), new MigrateVm("v1", "h2"), new UpgradeVm("v1"),
        new DrainHost("h1"), new UndrainHost("h1"), new GetHosts(), new GetVms(), new GetEvents(7), new GetConsole("v1", 99),
        new Done("ok"), new Failed(FailureKind.NoRoom, "full"),
        new HostList([new HostView("h1", "akka.tcp://tern@127.0.0.1:1", HostState.Draining, SampleLoad, 2), new HostView("h2", "a", HostState.Down, null, 0)]),
        new VmList([new VmView("v1", "h1", VmState.Running, 256 * MiB, 2, 4, "boom", Definition)]),
        new EventList([new ClusterEventRecord(1, T0, "host h1 up")]),
        new ConsoleOutput("v1", "h1", 4, 5, 8, [1, 2, 3], true, true),
        new HostReport("h1", "akka.tcp://tern@127.0.0.1:1", SampleLoad, [Runtime]),
        new HostRejected("h1", "taken"), new RunInstance(Definition, 4), new StopInstance("v1", 4),
        new VmStarted("h1", "v1", 4), new VmEnded("h1", "v1", 4, VmEndReason.Fenced, "fenced"), new ReadConsole("v1", 3),
        new VmDefined(Definition, T0), new VmPlaced("v1", "h1", 4, "created", T0), new VmStopRequested("v1", T0),
        new VmHalted("v1", 4, "guest powered off", null, T0), new VmUnplaced("v1", "no room", T0), new VmDeleted("v1", T0),
        new HostJoined("h1", "akka.tcp://tern@127.0.0.1:1", T0), new HostLeft("h1", "downed", T0), new HostDrainChanged("h1", true, T0),
        new MigrationBegan("v1", "h1", "h2", 5, T0), new MigrationEnded("v1", true, "", T0),
        new GetMigration("v1"), new CancelMigration("v1"), new PrepareIncoming(Definition, 5),
        new IncomingPrepared("h2", "v1", 5, "127.0.0.1", 40123), new IncomingFailed("h2", "v1", 5, "no memory"),
        new StartMigration("v1", 4, "h2", 5, "127.0.0.1", 40123, 1 << 30, 300, 60_000, OnCompletionTimeout.Force),
        new CancelOutgoing("v1", 5), new MigrationProgressed(Report, 5), new CommitRequest("v1", 5), new CommitRequest("v1", 6, new DateTime(2026, 11, 26, 2, 30, 0, DateTimeKind.Utc)),
        new CommitDecision("v1", 5, false, "given up"), new MigrationOutcome(Report with { Status = "completed", DowntimeMs = 42 }, 4, 5, false),
        Report,
        new RegistrySnapshot([new VmEntry(Definition, DesiredState.Running, "h1", 4, null)], [new HostEntry("h1", "a", true, false)],
            [new MigrationEntry("v1", "h1", "h2", 5, T0)], 5, [new ApiTokenEntry("0123456789ab", ApiRole.Viewer, new string('f', 64), T0)]),
        new IssueApiToken(new ApiTokenEntry("0123456789ab", ApiRole.Operator, new string('e', 64), T0)), new RevokeApiToken("0123456789ab"),
        new GetApiTokens(), new ApiTokenList([new ApiTokenEntry("0123456789ab", ApiRole.Viewer, new string('f', 64), T0)]),
        new ApiTokenIssued(new ApiTokenEntry("0123456789ab", ApiRole.Operator, new string('e', 64), T0), T0), new ApiTokenRevoked("0123456789ab", T0),
        // Protected VMs (protocol 2.4).
        new CreateVm(Definition, new ProtectionRequest("h2", 25)), new ProtectVm("v1", null, 100), new UnprotectVm("v1"),
        new VmList([new VmView("v1", "h1", VmState.Running, 256 * MiB, 2, 4, null, Definition, 0.5, 300 * MiB,
            new ProtectionView(ProtectionState.Protected, "h2", 50, 812, 12.5, 0.7, 2.9, 4.1, 65536, 1 << 30, 3, null))]),
        new PrepareStandby(Definition, 6, [new DiskCopyOrder("/images/v1.img", "/images/v1.standby6.0.img")]), new StartReplication("v1", 4, "h2", 6, "127.0.0.1", 40124, 50),
        new ReplicationStatus("h2", "v1", 6, true, Figures), new ReplicationEnded("h1", "v1", 4, 6, "the standby refused a checkpoint", PrimaryGone: false),
        new PromoteStandby("v1", 6), new EndReplication("v1", 4),
        new VmProtected("v1", 50, "h2", T0), new VmUnprotected("v1", "asked by the operator", T0), new StandbyAssigned("v1", "h2", 6, 4, T0),
        new StandbySynced("v1", 6, T0), new StandbyDropped("v1", 6, "host h2 is down", T0), new StandbyPromoted("v1", "h2", 6, "host h1 is down", T0),
        new VmDisksMoved("v1", [new VmDisk("/images/v1.standby6.0.img", Writable: true)], T0),
        new RegistrySnapshotWithProtections(
            new RegistrySnapshot([new VmEntry(Definition, DesiredState.Running, "h1", 4, null)], [new HostEntry("h1", "a", true, false)], [], 6, []),
            [new ProtectionEntry("v1", 50, null, "h2", 6, 4, true)]),
        // Host health (issue 19).
        new HostDegraded("h1", "12 corrected memory errors in 1h (EDAC)", T0), new HostRecovered("h1", T0),
        new HostHealthReport("h1", false, "health command: disk failing"), new HostShuttingDown("h1"), new ShutdownDrainStarted(["v1"]),
        new RegistrySnapshotWithHealth(new RegistrySnapshotWithProtections(
            new RegistrySnapshot([new VmEntry(Definition, DesiredState.Running, "h1", 4, null)], [new HostEntry("h1", "a", true, true)], [], 6, []),
            [new ProtectionEntry("v1", 50, null, "h2", 6, 4, true)]), [new DegradedHost("h1", "health command: disk failing", T0)]),
        new HostReport("h2", "a", SampleLoad, [Runtime with { Phase = VmRunPhase.Standby }]),
    ];

    private static readonly ReplicationFigures Figures = new(812, 811, T0, 0.8, 0.7, 2.9, 4.1, 65536, 1 << 30, 3, "connection to the primary lost", false);

    [Fact]
    public void Every_cluster_message_type_has_a_sample()
    {
        // The public protocol's package and the nodes' own messages in Tern.Actors.
        var expected = new[] { typeof(IClusterMessage).Assembly, typeof(NodeProtocol).Assembly }.SelectMany(a => a.GetTypes())
            .Where(t => typeof(IClusterMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => t.FullName).Order().ToArray();
        Assert.Equal(expected, Samples().Select(s => s.GetType().FullName).Distinct().Order().ToArray());
    }

    [Fact]
    public void Every_cluster_message_round_trips_through_the_bound_serializer()
    {
        var serialization = Sys.Serialization;
        foreach (var message in Samples())
        {
            var serializer = serialization.FindSerializerFor(message);
            Assert.IsType<ClusterNodeSerializer>(serializer);
            var bytes = serializer.ToBinary(message);
            object back = serializer is SerializerWithStringManifest m
                ? m.FromBinary(bytes, m.Manifest(message))
                : serializer.FromBinary(bytes, message.GetType());
            Assert.IsType(message.GetType(), back);
            // Records holding lists compare lists by reference, so compare their content as JSON.
            Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        }
    }

    /// <summary>A type outside Tern's cluster messages, as a hostile peer might name one.</summary>
    public sealed record NotAClusterMessage(string Text);

    [Fact]
    public void A_peer_s_bytes_naming_a_type_outside_the_cluster_s_own_are_refused()
    {
        var cluster = Sys.Serialization.FindSerializerFor(new GetVms());
        // The same serializer type, unfiltered, writes what a hostile peer would send.
        var unfiltered = new Akka.Serialization.HyperionSerializer((ExtendedActorSystem)Sys, Akka.Serialization.HyperionSerializerSettings.Default);
        byte[] hostile = unfiltered.ToBinary(new NotAClusterMessage("boom"));
        Assert.ThrowsAny<Exception>(() => cluster.FromBinary(hostile, typeof(object)));
        Assert.IsType<GetVms>(cluster.FromBinary(unfiltered.ToBinary(new GetVms()), typeof(object)));
    }

    [Fact]
    public void A_journal_written_before_the_types_moved_namespace_still_reads()
    {
        // Events persisted by a Tern whose cluster types all lived in Tern.Actors.Cluster name them so.
        var serializer = Sys.Serialization.FindSerializerFor(new GetVms());
        var snapshot = new RegistrySnapshot([new VmEntry(Definition, DesiredState.Running, "h1", 4, null)], [new HostEntry("h1", "a", true, false)], [], 5, []);
        foreach (IClusterMessage message in new IClusterMessage[] { new VmDefined(Definition, T0), snapshot })
        {
            byte[] old = HyperionTypeNames.Rename(serializer.ToBinary(message), "Tern.Actors.Cluster.Registry.", "Tern.Actors.Cluster.");
            Assert.DoesNotContain("Tern.Actors.Cluster.Registry.", System.Text.Encoding.UTF8.GetString(old));
            object back = serializer.FromBinary(old, typeof(object));
            Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        }
        var renames = ClusterNodeSerializer.Renames;
        Assert.Equal("System.Collections.Generic.List`1[[Tern.Actors.Cluster.Registry.VmEntry, Tern.Actors]], %core%",
            renames.Current("System.Collections.Generic.List`1[[Tern.Actors.Cluster.VmEntry, Tern.Actors]], %core%"));
        Assert.Equal("Tern.Actors.Cluster.Registry.HostEntry[], Tern.Actors", renames.Current("Tern.Actors.Cluster.HostEntry[], Tern.Actors"));
        Assert.Equal("Tern.Actors.Cluster.Registry.HostEntry, Tern.Actors", renames.Current("Tern.Actors.Cluster.Registry.HostEntry, Tern.Actors"));
    }

    [Fact]
    public void A_journal_written_before_the_protocol_moved_to_its_package_still_reads()
    {
        // Before the public protocol had a package of its own, its types (VmDefinition, VmDisk,
        // MigrationReport, the operator commands) were Tern.Actors's, directly in Tern.Actors.Cluster,
        // and the host-to-manager messages were nested in ClusterProtocol, not NodeProtocol.
        var serializer = Sys.Serialization.FindSerializerFor(new GetVms());
        var snapshot = new RegistrySnapshot([new VmEntry(Definition, DesiredState.Running, "h1", 4, null)], [], [], 5, []);
        var messages = new IClusterMessage[] { new VmDefined(Definition, T0), snapshot, new CreateVm(Definition), new MigrationProgressed(Report, 5), Report };
        foreach (var message in messages)
        {
            byte[] current = serializer.ToBinary(message);
            byte[] bytes = HyperionTypeNames.Rename(current, ", Tern.Actors.Cluster.Protocol", ", Tern.Actors", mustRename: false);
            bytes = HyperionTypeNames.Rename(bytes, "Tern.Actors.Cluster.Protocol.", "Tern.Actors.Cluster.", mustRename: false);
            bytes = HyperionTypeNames.Rename(bytes, "Tern.Actors.Cluster.NodeProtocol+", "Tern.Actors.Cluster.ClusterProtocol+", mustRename: false);
            Assert.NotEqual(current, bytes);
            Assert.DoesNotContain("Protocol.", System.Text.Encoding.UTF8.GetString(bytes));
            object back = serializer.FromBinary(bytes, typeof(object));
            Assert.IsType(message.GetType(), back);
            Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        }
        var renames = ClusterNodeSerializer.Renames;
        Assert.Equal("Tern.Actors.Cluster.Protocol.ClusterProtocol+GetVms, Tern.Actors.Cluster.Protocol",
            renames.Current("Tern.Actors.Cluster.ClusterProtocol+GetVms, Tern.Actors"));
        Assert.Equal("Tern.Actors.Cluster.NodeProtocol+HostReport, Tern.Actors", renames.Current("Tern.Actors.Cluster.ClusterProtocol+HostReport, Tern.Actors"));
        Assert.Equal("System.Collections.Generic.List`1[[Tern.Actors.Cluster.Protocol.VmDisk, Tern.Actors.Cluster.Protocol]], %core%",
            renames.Current("System.Collections.Generic.List`1[[Tern.Actors.Cluster.VmDisk, Tern.Actors]], %core%"));
        // A client knows only the package's types; their old names read as today's there too.
        Assert.Equal("Tern.Actors.Cluster.Protocol.MigrationReport, Tern.Actors.Cluster.Protocol",
            ClusterTypeRenames.Protocol.Current("Tern.Actors.Cluster.MigrationReport, Tern.Actors"));
    }

    /// <summary>VmDefinition as protocol 2.2 and earlier wrote it, before it had NICs.</summary>
    public sealed record DefinitionWithoutNics(string Name, string Kernel, string? Initrd, string Append, ulong MemoryBytes, int Vcpus,
        IReadOnlyList<VmDisk> Disks, string? AntiAffinityGroup = null);

    [Fact]
    public void A_definition_stored_before_vms_had_nics_reads_with_none()
    {
        // Hyperion reads fields by position: without VmDefinitionLayouts a journal of protocol 2.2
        // would fail to recover on the field NICs added.
        var serializer = Sys.Serialization.FindSerializerFor(new GetVms());
        var old = new DefinitionWithoutNics("v1", "/k", null, "mode=ticks", 256 * MiB, 2, ["/d0"], "grp");
        var unfiltered = new Akka.Serialization.HyperionSerializer((ExtendedActorSystem)Sys, Akka.Serialization.HyperionSerializerSettings.Default);
        byte[] written = HyperionTypeNames.Rename(unfiltered.ToBinary(old),
            $"{typeof(DefinitionWithoutNics).FullName}, {typeof(DefinitionWithoutNics).Assembly.GetName().Name}",
            $"{typeof(VmDefinition).FullName}, {typeof(VmDefinition).Assembly.GetName().Name}");
        var back = Assert.IsType<VmDefinition>(serializer.FromBinary(written, typeof(object)));
        Assert.Null(back.Nics);
        Assert.Equal(old.Name, back.Name);
        Assert.Equal("grp", back.AntiAffinityGroup);
        Assert.Equal(["/d0"], back.Disks.Select(d => d.Path));
    }

    [Fact]
    public void A_client_s_serializer_and_a_node_s_read_each_other_s_operator_messages()
    {
        var node = Sys.Serialization.FindSerializerFor(new GetVms());
        var client = new ClusterSerializer((ExtendedActorSystem)Sys);
        Assert.Equal(node.Identifier, client.Identifier);
        var vms = new VmList([new VmView("v1", "h1", VmState.Running, 256 * MiB, 2, 4, null, Definition)]);
        foreach (IClusterMessage message in new IClusterMessage[] { new MigrateVm("v1", "h2"), new GetMigration("v1"), vms, Report, new Failed(FailureKind.NotFound, "no VM") })
        {
            Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(node.FromBinary(client.ToBinary(message), typeof(object))));
            Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(client.FromBinary(node.ToBinary(message), typeof(object))));
        }
    }
}
