using Tern.Kvm.Net;
using Tern.TestSupport;
using static Tern.TestSupport.Net.TapInterface;

namespace Tern.Kvm.Tests.Net;

/// <summary>
/// The TAPs a node makes for its VMs, on a bridge this test makes (names unique per run, in the
/// root namespace, removed at the end): persistent, owned, up, a port of the bridge; removed
/// whether or not something holds them open.
/// </summary>
public sealed class PersistentTapTests : IDisposable
{
    private readonly string _tag = Guid.NewGuid().ToString("N")[..10];
    private string Bridge => $"tk{_tag}"; // not "tb": the netns tests sweep bridges of that prefix
    private string Tap => $"tt{_tag}";

    public PersistentTapTests()
    {
        if (Environment.IsPrivilegedProcess) Ip("link", "add", Bridge, "type", "bridge");
    }

    public void Dispose()
    {
        if (!Environment.IsPrivilegedProcess) return;
        if (PersistentTap.Exists(Tap)) Ip("link", "del", Tap);
        Ip("link", "del", Bridge);
    }

    [RootFact]
    public void A_created_tap_outlives_its_descriptor_belongs_to_its_owner_is_up_and_a_port_of_the_bridge()
    {
        PersistentTap.Create(Tap, Bridge, owner: 1_800_000_123);
        Assert.True(PersistentTap.Exists(Tap));
        Assert.Contains(Tap, PersistentTap.Interfaces());
        Assert.Equal("1800000123", Sys("owner"));
        Assert.Equal(Bridge, Path.GetFileName(new DirectoryInfo($"/sys/class/net/{Tap}/master").ResolveLinkTarget(true)!.FullName));
        Assert.Equal(1, Convert.ToInt32(Sys("flags"), 16) & 1); // IFF_UP

        // The VM's process opens it by name, as an existing TAP; closing it leaves the TAP there.
        using (var open = TapDevice.Open(Tap)) Assert.False(open.Created);
        Assert.True(PersistentTap.Exists(Tap));
    }

    [RootFact]
    public void Delete_removes_a_tap_even_while_a_process_holds_it_and_tells_whether_there_was_one()
    {
        PersistentTap.Create(Tap, Bridge, owner: null);
        using var held = TapDevice.Open(Tap);
        Assert.True(PersistentTap.Delete(Tap));
        Assert.False(PersistentTap.Exists(Tap));
        Assert.False(PersistentTap.Delete(Tap));
    }

    [RootFact]
    public void Creating_again_replaces_a_leftover_of_the_same_name()
    {
        PersistentTap.Create(Tap, Bridge, owner: null);
        PersistentTap.Create(Tap, Bridge, owner: 1_800_000_124);
        Assert.Equal("1800000124", Sys("owner"));
    }

    [RootFact]
    public void A_bridge_that_does_not_exist_or_is_no_bridge_fails_the_create_and_leaves_no_tap()
    {
        var missing = Assert.Throws<TapException>(() => PersistentTap.Create(Tap, $"tn{_tag}", owner: null));
        Assert.Equal($"bridge tn{_tag} does not exist", missing.Message);
        Assert.False(PersistentTap.Exists(Tap));

        var notBridge = Assert.Throws<TapException>(() => PersistentTap.Create(Tap, "lo", owner: null));
        Assert.Equal("interface lo is not a bridge", notBridge.Message);
        Assert.False(PersistentTap.Exists(Tap));
    }

    private string Sys(string file) => File.ReadAllText($"/sys/class/net/{Tap}/{file}").Trim();
}
