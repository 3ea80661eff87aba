using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Tests.Api;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Host.Tests.Ctl;

/// <summary>
/// <c>tern ctl protect</c>, <c>unprotect</c> and <c>create --protect</c> end to end through the API
/// to the command the manager gets (a TestKit probe); a usage error is one line, exit 1, and sends nothing.
/// </summary>
[Collection(CtlConsoleCollection.Name)]
public sealed class ProtectVerbTests : TestKit, IAsyncLifetime
{
    private readonly TestProbe _manager;
    private ControlApiHost _api = null!;

    public ProtectVerbTests() => _manager = CreateTestProbe("manager");

    public async Task InitializeAsync() => _api = await ControlApiHost.StartAsync(_manager);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData(new[] { "protect", "v1" }, null, ProtectionRequest.DefaultEpochMs)]
    [InlineData(new[] { "protect", "v1", "--standby", "h2", "--epoch", "1s" }, "h2", 1000)]
    [InlineData(new[] { "protect", "v1", "--epoch", "25" }, null, 25)]
    public async Task Protect_sends_the_standby_and_epoch_given(string[] args, string? standby, int epochMs)
    {
        var ctl = Ctl(args);
        Assert.Equal(new ProtectVm("v1", standby, epochMs), await _manager.ExpectMsgAsync<ProtectVm>());
        _manager.Reply(new Done("vm v1 is protected"));
        Assert.Equal(new CtlOutcome(0, "vm v1 is protected\n", ""), await ctl);
    }

    [Fact]
    public async Task Protect_with_json_prints_the_apis_answer()
    {
        var ctl = Ctl(["protect", "v1", "--json"]);
        await _manager.ExpectMsgAsync<ProtectVm>();
        _manager.Reply(new Done("vm v1 is protected"));
        var outcome = await ctl;
        Assert.Equal(0, outcome.Exit);
        Assert.Equal("vm v1 is protected", System.Text.Json.JsonDocument.Parse(outcome.Out).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Unprotect_sends_unprotect()
    {
        var ctl = Ctl(["unprotect", "v1"]);
        Assert.Equal(new UnprotectVm("v1"), await _manager.ExpectMsgAsync<UnprotectVm>());
        _manager.Reply(new Done("vm v1 is no longer protected"));
        Assert.Equal(new CtlOutcome(0, "vm v1 is no longer protected\n", ""), await ctl);
    }

    [Fact]
    public async Task A_refused_protect_is_the_managers_reason_and_exit_1()
    {
        var ctl = Ctl(["protect", "v1"]);
        await _manager.ExpectMsgAsync<ProtectVm>();
        _manager.Reply(new Failed(FailureKind.NoRoom, "no host can take v1's standby"));
        Assert.Equal(new CtlOutcome(1, "", "tern ctl: no host can take v1's standby\n"), await ctl);
    }

    [Fact]
    public async Task Create_with_protect_sends_the_protection_with_the_definition()
    {
        var ctl = Ctl(["create", "v1", "--kernel", _api.Kernel, "--memory", "64M", "--protect", "--standby", "h3", "--epoch", "100ms"]);
        var create = await _manager.ExpectMsgAsync<CreateVm>();
        Assert.Equal(("v1", new ProtectionRequest("h3", 100)), (create.Definition.Name, create.Protect));
        _manager.Reply(new Done("vm v1 created on h1"));
        Assert.Equal(0, (await ctl).Exit);
    }

    [Fact]
    public async Task Create_without_protect_sends_no_protection()
    {
        var ctl = Ctl(["create", "v1", "--kernel", _api.Kernel]);
        Assert.Null((await _manager.ExpectMsgAsync<CreateVm>()).Protect);
        _manager.Reply(new Done("vm v1 created on h1"));
        Assert.Equal(0, (await ctl).Exit);
    }

    [Theory]
    [InlineData("--epoch '5ms': the epoch must be 10 to 10000 ms, not 5", "protect", "v1", "--epoch", "5ms")]
    [InlineData("--epoch 'soon': expected a duration such as 50ms, 50 (ms) or 1s", "protect", "v1", "--epoch", "soon")]
    [InlineData("--standby needs --protect", "create", "v1", "--standby", "h2")]
    [InlineData("--epoch needs --protect", "create", "v1", "--epoch", "50ms")]
    [InlineData("--epoch '20s': the epoch must be 10 to 10000 ms, not 20000", "create", "v1", "--protect", "--epoch", "20s")]
    public async Task A_usage_error_is_one_line_naming_the_option_and_sends_nothing(string message, params string[] args)
    {
        if (args[0] == "create") args = [.. args, "--kernel", _api.Kernel];
        Assert.Equal(new CtlOutcome(1, "", $"tern ctl: {message}\n"), await Ctl(args));
        await _manager.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    private Task<CtlOutcome> Ctl(string[] args) => CtlRun.Async([.. args, .. _api.CtlOptions]);
}
