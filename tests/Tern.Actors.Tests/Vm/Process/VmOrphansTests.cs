using Tern.Actors.Vm.Process;

namespace Tern.Actors.Tests.Vm.Process;

/// <summary>
/// What a restarted node finds in its vms/ directory: stale directories (no pid file, a process
/// that is gone, a pid that now belongs to another program) are removed and never adopted.
/// </summary>
public sealed class VmOrphansTests : IDisposable
{
    private readonly string _vms = Directory.CreateTempSubdirectory("tern-vms-").FullName;

    private VmProcessFiles Instance(string name, string? pid)
    {
        var files = new VmProcessFiles(Path.Combine(_vms, name));
        Directory.CreateDirectory(files.Directory);
        File.WriteAllText(files.ChannelSocket, ""); // a leftover socket file: nobody listens
        if (pid is not null) File.WriteAllText(files.PidFile, pid);
        return files;
    }

    [Fact]
    public void Directories_whose_process_is_gone_or_someone_else_are_removed_and_others_left_alone()
    {
        using var other = System.Diagnostics.Process.Start("sleep", "30");
        using var ended = System.Diagnostics.Process.Start("true");
        ended.WaitForExit();
        var someoneElse = Instance("7", other.Id.ToString());
        var gone = Instance("8-1", ended.Id.ToString());
        var noPid = Instance("9", null);
        var garbage = Instance("10", "not a pid");
        string notOurs = Directory.CreateDirectory(Path.Combine(_vms, "lost+found")).FullName;
        var removed = new List<(string Directory, string Why)>();

        var found = VmOrphans.Find(_vms, (d, why) => removed.Add((d, why)));

        Assert.Empty(found);
        Assert.Equal(
            new[] { someoneElse.Directory, gone.Directory, noPid.Directory, garbage.Directory }.Order(),
            removed.Select(r => r.Directory).Order());
        Assert.Contains(removed, r => r.Directory == someoneElse.Directory && r.Why == $"process {other.Id} is not the VM process of {someoneElse.ChannelSocket}");
        Assert.Contains(removed, r => r.Directory == gone.Directory && r.Why == $"its process {ended.Id} is gone");
        Assert.Contains(removed, r => r.Directory == noPid.Directory && r.Why == "it has no readable pid file");
        Assert.False(Directory.Exists(someoneElse.Directory));
        Assert.True(Directory.Exists(notOurs));
        Assert.False(other.HasExited); // someone else's process is never touched
        other.Kill();
    }

    [Fact]
    public void Only_a_tern_vm_serving_that_directorys_socket_is_an_orphan()
    {
        var files = new VmProcessFiles(Path.Combine(_vms, "12"));
        Assert.True(VmOrphans.ServesChannel(["/usr/bin/tern", "vm", "a", "--channel", files.ChannelSocket, "--", "-name", "a"], files));
        Assert.False(VmOrphans.ServesChannel(["/usr/bin/tern", "vm", "a", "--channel", Path.Combine(_vms, "13", "channel.sock")], files));
        Assert.False(VmOrphans.ServesChannel(["/usr/bin/tern", "node", "a", "--channel", files.ChannelSocket], files));
        Assert.False(VmOrphans.ServesChannel(["/usr/bin/tern", "vm", "--channel", files.ChannelSocket], files));
        Assert.False(VmOrphans.ServesChannel(["/usr/bin/tern", "vm", "a", "--channel"], files));
    }

    public void Dispose() => Directory.Delete(_vms, recursive: true);
}
