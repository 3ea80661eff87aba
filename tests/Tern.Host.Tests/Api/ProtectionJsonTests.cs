using System.Text.Json;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Api;

namespace Tern.Host.Tests.Api;

/// <summary>A VM's protection in the API's JSON, as the node writes it and <c>tern ctl</c> (native, without reflection) reads it.</summary>
public sealed class ProtectionJsonTests
{
    public static TheoryData<ProtectionView?> Protections() => new()
    {
        null,
        ProtectionView.Off,
        new ProtectionView(ProtectionState.Syncing, "h2", 50, -1, null, null, null, null, null, 1UL << 30, 0, null),
        new ProtectionView(ProtectionState.Protected, "h2", 25, 4711, 12.5, 0.35, 1.8, 4.2, 3UL << 20, 7UL << 30, 3, null),
        new ProtectionView(ProtectionState.Degraded, null, 100, 90, 2500, 0.4, 2, 2.5, 65536, 1UL << 32, 0, "standby host h2 was lost"),
    };

    [Theory]
    [MemberData(nameof(Protections))]
    public void A_vm_views_protection_comes_back_as_it_was_written(ProtectionView? protection)
    {
        foreach (var options in new[] { ApiJson.Options, NativeOptions })
        {
            string json = JsonSerializer.Serialize(new[] { VmViews.Of("v1", protection) }, options);
            var read = JsonSerializer.Deserialize<VmView[]>(json, options)!;
            Assert.Equal(protection, read[0].Protection);
        }
    }

    [Theory]
    [InlineData(ProtectionState.Off, "off")]
    [InlineData(ProtectionState.Syncing, "syncing")]
    [InlineData(ProtectionState.Protected, "protected")]
    [InlineData(ProtectionState.Degraded, "degraded")]
    public void The_state_is_a_lower_case_word_like_the_vms_own(ProtectionState state, string word)
    {
        var view = VmViews.Of("v1", ProtectionView.Off with { State = state });
        var json = JsonDocument.Parse(JsonSerializer.Serialize(view, ApiJson.Info<VmView>())).RootElement;
        Assert.Equal(("running", word), (json.GetProperty("state").GetString(), json.GetProperty("protection").GetProperty("state").GetString()));
    }

    [Fact]
    public void The_protection_fields_are_camel_case_like_the_rest_of_the_api()
    {
        var json = JsonDocument.Parse(JsonSerializer.Serialize(ProtectionView.Off, ApiJson.Info<ProtectionView>())).RootElement;
        Assert.Equal(
            ["state", "standby", "epochMs", "committedEpoch", "lastCommitAgeMs", "pauseP50Ms", "pauseP99Ms", "pauseMaxMs",
             "lastCheckpointBytes", "replicatedBytes", "stretchedEpochs", "problem"],
            json.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void What_ctl_sends_to_protect_and_create_is_known_without_reflection()
    {
        var protect = new ProtectionRequest("h2", 100);
        Assert.Equal("""{"standby":"h2","epochMs":100}""", Compact(JsonSerializer.Serialize(protect, NativeOptions)));
        var create = new CreateVmRequest("v1", "/k", null, null, "64M", null, [], null, null, protect);
        Assert.Equal(protect, JsonSerializer.Deserialize<CreateVmRequest>(JsonSerializer.Serialize(create, NativeOptions), NativeOptions)!.Protect);
    }

    /// <summary>The API's options as the native executable has them: compile-time metadata only.</summary>
    private static readonly JsonSerializerOptions NativeOptions = new(ApiJson.Options) { TypeInfoResolver = ApiJsonContext.Default };

    private static string Compact(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
