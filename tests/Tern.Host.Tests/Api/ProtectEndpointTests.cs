using System.Net;
using System.Text.Json;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Api;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Host.Tests.Api;

/// <summary>
/// POST /v1/vms/NAME/protect and /unprotect, and create's "protect": which command reaches the
/// manager, and what the API answers with its reply; a request the API refuses reaches no one.
/// </summary>
public sealed class ProtectEndpointTests : TestKit, IAsyncLifetime
{
    private readonly TestProbe _manager;
    private ControlApiHost _api = null!;

    public ProtectEndpointTests() => _manager = CreateTestProbe("manager");

    public async Task InitializeAsync() => _api = await ControlApiHost.StartAsync(_manager);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Protect_asks_the_manager_for_the_standby_and_epoch_given()
    {
        var answer = _api.PostAsync(ApiRoutes.VmAction("v1", "protect"), """{"standby":"h2","epochMs":100}""");
        Assert.Equal(new ProtectVm("v1", "h2", 100), await _manager.ExpectMsgAsync<ProtectVm>());
        _manager.Reply(new Done("vm v1 is protected, syncing to h2"));
        var (status, json) = await Read(answer);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("vm v1 is protected, syncing to h2", json.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"standby":null}""")]
    public async Task Protect_without_a_body_or_its_fields_asks_for_the_defaults(string body)
    {
        var answer = _api.PostAsync(ApiRoutes.VmAction("v1", "protect"), body);
        Assert.Equal(new ProtectVm("v1", null, ProtectionRequest.DefaultEpochMs), await _manager.ExpectMsgAsync<ProtectVm>());
        _manager.Reply(new Done("ok"));
        Assert.Equal(HttpStatusCode.OK, (await Read(answer)).Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(10_001)]
    [InlineData(-50)]
    public async Task An_epoch_out_of_range_is_refused_before_the_manager_hears_of_it(int epochMs)
    {
        var (status, json) = await Read(_api.PostAsync(ApiRoutes.VmAction("v1", "protect"), $$"""{"epochMs":{{epochMs}}}"""));
        AssertError(HttpStatusCode.BadRequest, "invalid", $"the epoch must be 10 to 10000 ms, not {epochMs}", status, json);
        await _manager.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData("""{"epochMs":"50ms"}""", "malformed JSON at $.epochMs")]
    [InlineData("""{"epochMs":null}""", "malformed JSON at $.epochMs")]
    [InlineData("""{"standby":""", "malformed JSON")]
    [InlineData("[]", "malformed JSON")]
    [InlineData("null", "the request body must be a JSON object")]
    public async Task A_malformed_protect_body_is_a_400_and_changes_nothing(string body, string message)
    {
        var (status, json) = await Read(_api.PostAsync(ApiRoutes.VmAction("v1", "protect"), body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid", json.GetProperty("error").GetProperty("kind").GetString());
        Assert.StartsWith(message, json.GetProperty("error").GetProperty("message").GetString());
        await _manager.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData(FailureKind.NoRoom, HttpStatusCode.Conflict, "no-room")]
    [InlineData(FailureKind.NotFound, HttpStatusCode.NotFound, "not-found")]
    [InlineData(FailureKind.Conflict, HttpStatusCode.Conflict, "conflict")]
    public async Task The_managers_refusal_of_protect_is_the_apis_error(FailureKind kind, HttpStatusCode expected, string kindName)
    {
        var answer = _api.PostAsync(ApiRoutes.VmAction("v1", "protect"), "{}");
        await _manager.ExpectMsgAsync<ProtectVm>();
        _manager.Reply(new Failed(kind, "no host can take v1's standby"));
        var (status, json) = await Read(answer);
        AssertError(expected, kindName, "no host can take v1's standby", status, json);
    }

    [Fact]
    public async Task Unprotect_asks_the_manager_to_end_the_protection()
    {
        var answer = _api.PostAsync(ApiRoutes.VmAction("v1", "unprotect"), "{}");
        Assert.Equal(new UnprotectVm("v1"), await _manager.ExpectMsgAsync<UnprotectVm>());
        _manager.Reply(new Done("vm v1 is no longer protected"));
        var (status, json) = await Read(answer);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("vm v1 is no longer protected", json.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{"standby":"h3","epochMs":25}""", "h3", 25)]
    [InlineData("{}", null, ProtectionRequest.DefaultEpochMs)]
    public async Task Create_with_protect_carries_the_protection_to_the_manager(string protect, string? standby, int epochMs)
    {
        var answer = _api.PostAsync(ApiRoutes.Vms, CreateBody($""","protect":{protect}"""));
        var create = await _manager.ExpectMsgAsync<CreateVm>();
        Assert.Equal(("v1", new ProtectionRequest(standby, epochMs)), (create.Definition.Name, create.Protect));
        _manager.Reply(new Done("vm v1 created on h1"));
        Assert.Equal(HttpStatusCode.Created, (await Read(answer)).Status);
    }

    [Fact]
    public async Task Create_without_protect_asks_for_no_protection()
    {
        var answer = _api.PostAsync(ApiRoutes.Vms, CreateBody(""));
        Assert.Null((await _manager.ExpectMsgAsync<CreateVm>()).Protect);
        _manager.Reply(new Done("vm v1 created on h1"));
        Assert.Equal(HttpStatusCode.Created, (await Read(answer)).Status);
    }

    [Theory]
    [InlineData(""","protect":{"epochMs":1}""", HttpStatusCode.BadRequest, "the epoch must be 10 to 10000 ms, not 1")]
    [InlineData(",\"protect\":\"yes\"", HttpStatusCode.BadRequest, "malformed JSON at $.protect")]
    [InlineData(""","protect":{"epochMs":1.5}""", HttpStatusCode.BadRequest, "malformed JSON at $.protect.epochMs")]
    public async Task Create_with_a_bad_protect_is_refused_before_the_manager_hears_of_it(string protect, HttpStatusCode expected, string message)
    {
        var (status, json) = await Read(_api.PostAsync(ApiRoutes.Vms, CreateBody(protect)));
        Assert.Equal(expected, status);
        Assert.StartsWith(message, json.GetProperty("error").GetProperty("message").GetString());
        await _manager.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task The_vm_list_shows_each_vms_protection()
    {
        var answer = _api.Http.GetAsync(ApiRoutes.Vms);
        await _manager.ExpectMsgAsync<GetVms>();
        var protection = new ProtectionView(ProtectionState.Protected, "h2", 50, 812, 31.5, 0.4, 1.9, 3.2, 1UL << 20, 9UL << 30, 2, null);
        _manager.Reply(new VmList([VmViews.Of("v1", protection), VmViews.Of("v2", null)]));
        var (status, json) = await Read(answer);
        Assert.Equal(HttpStatusCode.OK, status);
        var shown = json[0].GetProperty("protection");
        Assert.Equal(("protected", "h2", 50, 812L, 1.9), (shown.GetProperty("state").GetString(), shown.GetProperty("standby").GetString(),
            shown.GetProperty("epochMs").GetInt32(), shown.GetProperty("committedEpoch").GetInt64(), shown.GetProperty("pauseP99Ms").GetDouble()));
        Assert.Equal(JsonValueKind.Null, json[1].GetProperty("protection").ValueKind);
    }

    private string CreateBody(string extra) => $$"""{"name":"v1","kernel":{{JsonSerializer.Serialize(_api.Kernel)}},"memory":"64M"{{extra}}}""";

    private static async Task<(HttpStatusCode Status, JsonElement Json)> Read(Task<HttpResponseMessage> answer)
    {
        using var response = await answer;
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static void AssertError(HttpStatusCode expected, string kind, string message, HttpStatusCode status, JsonElement json)
    {
        Assert.Equal(expected, status);
        var error = json.GetProperty("error");
        Assert.Equal((kind, message), (error.GetProperty("kind").GetString(), error.GetProperty("message").GetString()));
    }
}
