using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Tests;

/// <summary>OFD byte locks on a HostFile, and finding who holds one through /proc.</summary>
public sealed class HostFileLockTests : IDisposable
{
    private readonly string _path = Path.GetTempFileName();

    public void Dispose() => File.Delete(_path);

    private HostFile Open() => HostFile.Open(_path, writable: true, direct: false);

    [Fact]
    public void Flock_is_32_bytes()
    {
        Assert.Equal(32, Unsafe.SizeOf<flock>());
        Assert.Equal(32, Marshal.SizeOf<flock>());
    }

    [Fact]
    public void A_second_open_of_the_file_sees_the_first_ones_lock_even_in_the_same_process()
    {
        using var a = Open();
        using var b = Open();

        Assert.True(a.LockShared(100));

        Assert.True(b.IsLockedElsewhere(100));
        Assert.False(a.IsLockedElsewhere(100)); // its own lock is not in the way
        Assert.False(b.IsLockedElsewhere(101));
        Assert.True(b.LockShared(100)); // shared locks share
        a.Unlock(100, 1);
        b.Unlock(100, 1);
        Assert.False(b.IsLockedElsewhere(100));
    }

    [Fact]
    public void Closing_the_file_releases_its_locks()
    {
        using var b = Open();
        using (var a = Open()) a.LockShared(200, 4);

        Assert.False(b.IsLockedElsewhere(201));
    }

    [Fact]
    public void The_holder_of_a_byte_is_found_by_pid_and_command_but_never_the_asking_file()
    {
        using var a = Open();
        using var b = Open();
        a.LockShared(100);
        b.LockShared(150); // the asker holds a lock of its own: that is how the file is recognised

        var holder = Assert.Single(b.LockHolders(100));
        Assert.Equal(Environment.ProcessId, holder.Pid);
        Assert.Equal(File.ReadAllText("/proc/self/comm").Trim(), holder.Command);
        Assert.Empty(b.LockHolders(150));
        Assert.Empty(b.LockHolders(101));
    }

    [Fact]
    public void Lock_lines_are_matched_by_device_inode_and_range()
    {
        const string fdinfo = "pos:\t0\nflags:\t02100002\nmnt_id:\t27\nino:\t11657727\n"
            + "lock:\t1: OFDLCK ADVISORY  READ -1 fe:00:11657727 100 101\n"
            + "lock:\t2: OFDLCK ADVISORY  READ -1 fe:00:11657727 201 EOF\n"
            + "lock:\t3: -> OFDLCK ADVISORY  WRITE -1 fe:00:11657727 300 300\n";

        Assert.Equal("fe:00:11657727", LockHolder.FileKey(fdinfo));
        Assert.True(LockHolder.Covers(fdinfo, "fe:00:11657727", 101));
        Assert.False(LockHolder.Covers(fdinfo, "fe:00:11657727", 102));
        Assert.True(LockHolder.Covers(fdinfo, "fe:00:11657727", 1 << 30));
        Assert.False(LockHolder.Covers(fdinfo, "fe:01:11657727", 100));
        Assert.Null(LockHolder.FileKey("pos:\t0\n"));
    }
}
