using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Issue 18: where a standby keeps its own copies of a protected VM's writable disks, and what a promotion makes of the VM's disks.</summary>
public sealed class StandbyDisksTests
{
    private static readonly VmDefinition Vm = Def("v", 512) with
    {
        Disks = [new VmDisk("/images/base.iso"), new VmDisk("/images/v-data.img", Writable: true), new VmDisk("/other/v-log.img", Writable: true)],
    };

    [Fact]
    public void Each_writable_disk_is_copied_beside_itself_and_read_only_ones_stay_shared()
    {
        Assert.Equal(
            [new DiskCopyOrder("/images/v-data.img", "/images/v.standby7.1.img"), new DiskCopyOrder("/other/v-log.img", "/other/v.standby7.2.img")],
            StandbyDisks.For(Vm, 7, directory: null));
    }

    [Fact]
    public void A_copy_directory_holds_every_copy()
    {
        Assert.Equal(["/copies/v.standby7.1.img", "/copies/v.standby7.2.img"], StandbyDisks.For(Vm, 7, "/copies").Select(c => c.To));
    }

    [Fact]
    public void The_standby_runs_on_its_copies_and_a_vm_without_writable_disks_has_none()
    {
        var standby = StandbyDisks.Apply(Vm, StandbyDisks.For(Vm, 7, null));
        Assert.Equal([new VmDisk("/images/base.iso"), new VmDisk("/images/v.standby7.1.img", true), new VmDisk("/other/v.standby7.2.img", true)], standby.Disks);
        var readOnly = Vm with { Disks = [new VmDisk("/images/base.iso")] };
        Assert.Empty(StandbyDisks.For(readOnly, 7, null));
        Assert.Same(readOnly, StandbyDisks.Apply(readOnly, []));
    }

    [Fact]
    public void A_second_promotion_copies_the_copies_under_a_name_that_does_not_grow()
    {
        var once = StandbyDisks.Apply(Vm, StandbyDisks.For(Vm, 7, null));
        var twice = StandbyDisks.Apply(once, StandbyDisks.For(once, 9, null));
        Assert.Equal(["/images/base.iso", "/images/v.standby9.1.img", "/other/v.standby9.2.img"], twice.Disks.Select(d => d.Path));
    }

    [Fact]
    public void Moved_disks_replace_the_vm_s_definition_in_the_registry()
    {
        var r = WithHosts("a", "b").Place(Vm, "a");
        var moved = r.Apply(new VmDisksMoved("v", StandbyDisks.Apply(Vm, StandbyDisks.For(Vm, 2, null)).Disks, T0));
        Assert.Equal("/images/v.standby2.1.img", moved.Vms["v"].Definition.Disks[1].Path);
        Assert.Equal(r.Vms["v"] with { Definition = moved.Vms["v"].Definition }, moved.Vms["v"]);
    }
}
