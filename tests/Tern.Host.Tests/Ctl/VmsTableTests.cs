using Tern.Actors.Cluster.Protocol;
using Tern.Host.Ctl;

namespace Tern.Host.Tests.Ctl;

/// <summary><c>tern ctl vms</c>: a VM's protection in the table, "-" for each figure it does not have.</summary>
public sealed class VmsTableTests
{
    private static readonly string[] ProtectionColumns = ["PROTECTION", "STANDBY", "EPOCH", "COMMIT AGE", "PAUSE P50/P99", "CKPT"];

    public static TheoryData<ProtectionView?, string[]> Protections() => new()
    {
        { null, ["off", "-", "-", "-", "-", "-"] },
        { ProtectionView.Off, ["off", "-", "-", "-", "-", "-"] },
        { new ProtectionView(ProtectionState.Syncing, "h2", 50, -1, null, null, null, null, null, 1UL << 30, 0, null), ["syncing", "h2", "50 ms", "-", "-", "-"] },
        { new ProtectionView(ProtectionState.Protected, "h3", 25, 4711, 31.4, 0.35, 1.8, 4.2, 3UL << 20, 7UL << 30, 3, null), ["protected", "h3", "25 ms", "31 ms", "0.35/1.8 ms", "3 MiB"] },
        { new ProtectionView(ProtectionState.Degraded, null, 100, 90, 2540, 0.4, 2, 2.5, 65536, 1UL << 32, 0, "standby host h2 was lost"), ["degraded", "-", "100 ms", "2.5 s", "0.4/2 ms", "64 KiB"] },
    };

    [Theory]
    [MemberData(nameof(Protections))]
    public void Each_protection_state_has_its_columns(ProtectionView? protection, string[] cells)
    {
        var rows = TableText.Rows(console => CtlTables.Vms(console, [VmViews.Of("v1", protection)]));
        int first = Array.IndexOf(rows[0], ProtectionColumns[0]);
        Assert.Equal(ProtectionColumns, rows[0][first..(first + ProtectionColumns.Length)]);
        Assert.Equal(cells, rows[1][first..(first + ProtectionColumns.Length)]);
    }

    [Fact]
    public void A_protection_problem_is_shown_with_the_vms_last_error()
    {
        var degraded = new ProtectionView(ProtectionState.Degraded, null, 50, 7, null, null, null, null, null, null, 0, "no host has room for the standby");
        var rows = TableText.Rows(console => CtlTables.Vms(console, [
            VmViews.Of("v1", degraded),
            VmViews.Of("v2", degraded) with { LastError = "disk is locked" },
            VmViews.Of("v3", null) with { LastError = "disk is locked" },
        ]));
        Assert.Equal("LAST ERROR", rows[0][^1]);
        Assert.Equal(
            ["protection: no host has room for the standby", "disk is locked; protection: no host has room for the standby", "disk is locked"],
            rows.Skip(1).Select(r => r[^1]));
    }

    [Fact]
    public void A_standby_name_is_shown_with_its_control_characters_escaped()
    {
        var view = ProtectionView.Off with { State = ProtectionState.Syncing, Standby = "h\u001b[2J", EpochMs = 50 };
        var rows = TableText.Rows(console => CtlTables.Vms(console, [VmViews.Of("v1", view)]));
        Assert.Contains("h\\x1b[2J", rows[1]);
    }
}
