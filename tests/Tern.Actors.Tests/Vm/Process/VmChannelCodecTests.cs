using System.Buffers.Binary;
using System.Text;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using Tern.Actors.Vm.Process;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Vm.Process.VmChannelMessages;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Tests.Vm.Process;

public sealed class VmChannelCodecTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 19, 0, 0, TimeSpan.Zero);
    private static readonly MigrationEndpoint Endpoint = new(MigrationTransport.Tcp, "10.0.0.2", 4444);
    private static readonly MigrationInfo Info = new(MigrationStatus.Active)
    {
        TotalTimeMs = 1200, Round = 3, ExpectedDowntimeMs = 40,
        Ram = new RamInfo(1000, 200, 4096, 1, 2, 8192, 12.5, 800.25, 3),
        Checkpoints = new CheckpointInfo { Taken = 5, Committed = 4, LastCommittedAt = At, P99PauseMs = 2.5, Broken = "link lost", Refused = true },
    };

    /// <summary>One message of every type the channel carries.</summary>
    private static readonly object[] Samples =
    [
        new NodeHello("h1", 42), new VmHello("vm1", 7, 1234, VmChannelCodec.ProtocolVersion), new MigrateTo(Endpoint),
        new CommitRequest(Endpoint), new ConsoleData(10, [0, 1, 255, (byte)'\n'], true), new FenceCountdown(1500), new LeaseDeadline(123_456_789),
        new Boot(PrepareMigration: true), new Booted(), new BootFailed("no kernel", ImageInUse: true), new VmExited(1, "vcpu failed"),
        new Command(VmCommand.SystemReset), new CommandDone(), new CommandFailed("not now"),
        new QueryStatus(), new Status(VmRunState.InMigrate), new QueryCpus(), new Cpus([new CpuInfo(0, 100), new CpuInfo(1, 101)]),
        new CommitApproved(), new CommitRefused("manager moved"), new MigrateStarted(), new MigrateRefused("busy"),
        new MigrateCancel(), new CancelAccepted(), new CancelRefused("none"), new QueryMigrate(), Info,
        new SetParameters(DowntimeLimitMs: 50, MaxBandwidth: 1 << 20, ForceSwitchover: true),
        new ParametersReply(new MigrationParameters { DowntimeLimitMs = 70, MaxBandwidth = 5 }), new ParametersRefused("bad"),
        new SetCapabilities(new Dictionary<string, bool> { ["x-colo"] = true }), new LostHeartbeat(), new FailoverStarted(), new FailoverRefused("no checkpoint"),
        new VmEvent.Stopped(At), new VmEvent.Resumed(At), new VmEvent.Shutdown(At, true, "guest-shutdown"),
        new VmEvent.Reset(At, false, "host-qmp-system-reset"), new VmEvent.Powerdown(At),
        new VmEvent.MigrationProgress(At, MigrationSide.Outgoing, Info, StatusChanged: true, PassEnded: false, EventsCapability: true),
        new VmEvent.MigrationEnded(At, MigrationSide.Incoming, MigrationResult.Failed, "source vanished", GuestLocation.NotArrived, VmRunState.Shutdown, Info),
    ];

    public static TheoryData<object> Messages() => new(Samples);

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_type_reads_back_as_it_was_sent(object message)
    {
        var frame = new VmChannelFrame(VmChannelFrameKind.Request, 9, message);
        byte[] bytes = VmChannelCodec.Encode(frame);

        Assert.Equal(bytes.Length - 4, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        var back = VmChannelCodec.Decode(bytes.AsSpan(4));
        Assert.Equal(VmChannelFrameKind.Request, back.Kind);
        Assert.Equal(9, back.Id);
        Assert.IsType(message.GetType(), back.Body);
        // Records holding arrays or lists do not compare by value: the bytes of the two encodings do.
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(VmChannelCodec.Encode(back)));
    }

    [Fact]
    public void Every_type_the_channel_names_has_a_sample_here()
    {
        var sampled = Samples.Select(m => m.GetType().Name).ToHashSet();
        Assert.All(sampled, name => Assert.NotNull(VmChannelTypes.Find(name)));
        Assert.Equal(VmChannelTypes.Count, sampled.Count);
    }

    [Fact]
    public void A_type_the_channel_does_not_carry_cannot_be_sent()
    {
        var e = Assert.Throws<ArgumentException>(() => VmChannelCodec.Encode(VmChannelFrame.Event(new Subscribe(Akka.Actor.ActorRefs.Nobody))));
        Assert.Contains("Subscribe is not a VM channel message", e.Message);
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"kind\":\"shout\",\"id\":0,\"type\":\"Booted\",\"body\":{}}", "kind is not one of")]
    [InlineData("{\"kind\":\"event\",\"id\":-1,\"type\":\"Booted\",\"body\":{}}", "id is not a number")]
    [InlineData("{\"kind\":\"event\",\"id\":0,\"type\":\"System.IO.FileInfo\",\"body\":{}}", "'System.IO.FileInfo' is not a VM channel message")]
    [InlineData("{\"kind\":\"event\",\"id\":0,\"type\":\"Subscribe\",\"body\":{}}", "'Subscribe' is not a VM channel message")]
    [InlineData("{\"kind\":\"event\",\"id\":0,\"type\":\"Booted\"}", "Booted frame has no body object")]
    [InlineData("{\"kind\":\"event\",\"id\":0,\"type\":\"Status\",\"body\":{\"state\":\"Flying\"}}", "not valid JSON for its type")]
    [InlineData("{\"kind\":\"event\",\"id\":0,\"type\":\"ConsoleData\",\"body\":{\"from\":0,\"data\":\"%%%\",\"truncated\":false}}", "not valid JSON for its type")]
    [InlineData("{\"kind\":", "not valid JSON")]
    public void A_frame_that_is_not_of_the_protocol_is_refused_with_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<VmChannelException>(() => VmChannelCodec.Decode(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(VmChannelCodec.MaxFrameBytes + 1)]
    public async Task A_length_out_of_range_is_refused_before_anything_is_read(int length)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        var e = await Assert.ThrowsAsync<VmChannelException>(() => VmChannelCodec.ReadAsync(new MemoryStream(bytes), default));
        Assert.Contains($"frame length of {length}", e.Message);
    }

    [Fact]
    public async Task Frames_read_one_after_another_and_a_clean_end_is_null_but_a_cut_frame_is_an_error()
    {
        var one = VmChannelCodec.Encode(VmChannelFrame.Hello(new NodeHello("h1", 0)));
        var two = VmChannelCodec.Encode(VmChannelFrame.Event(new VmEvent.Powerdown(At)));
        var stream = new MemoryStream([.. one, .. two]);
        Assert.IsType<NodeHello>((await VmChannelCodec.ReadAsync(stream, default))!.Body);
        Assert.IsType<VmEvent.Powerdown>((await VmChannelCodec.ReadAsync(stream, default))!.Body);
        Assert.Null(await VmChannelCodec.ReadAsync(stream, default));

        var cut = new MemoryStream(one[..^3]);
        var e = await Assert.ThrowsAsync<VmChannelException>(() => VmChannelCodec.ReadAsync(cut, default));
        Assert.Contains("ended inside a frame", e.Message);
    }
}
