using System.Diagnostics;
using Tern.Kvm.Memory;
using Xunit.Abstractions;

namespace Tern.Kvm.Tests.State;

public class DirtyPageTrackerTests(ITestOutputHelper output)
{
    private static readonly ulong[] GuestWrittenPages = [0x300, 0x305, 0x3ff];

    // mov rax, imm64; mov [0x300000], rax; mov [0x305008], rax; mov [0x3ff000], rax; out 0x80, al; jmp $
    private static readonly byte[] WriteThreePages =
    [
        0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
        0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00,
        0x48, 0x89, 0x04, 0x25, 0x08, 0x50, 0x30, 0x00,
        0x48, 0x89, 0x04, 0x25, 0x00, 0xf0, 0x3f, 0x00,
        0xe6, 0x80,
        0xeb, 0xfe,
    ];

    // What the CPU itself may write while running that code: accessed/dirty bits in the GDT (page 0)
    // and in the boot page tables (pages 9-0xe), and the boot stack page (8).
    private static readonly ulong[] CpuBookkeepingPages = [0x0, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe];

    [KvmFact]
    public void Pages_the_guest_writes_are_reported_and_nothing_else()
    {
        using var vm = StateTestVm.WithCode(WriteThreePages);
        using var tracker = new DirtyPageTracker(vm.Vm, vm.Memory);
        tracker.Start();
        Assert.Equal(KvmExit.Io, vm.Vcpu.Run());

        tracker.Sync();
        var dirty = DirtyPages(tracker.Regions[0]);
        output.WriteLine("dirty: " + string.Join(" ", dirty.Select(p => p.ToString("x"))));
        Assert.Subset(dirty.ToHashSet(), GuestWrittenPages.ToHashSet());
        Assert.Superset(dirty.ToHashSet(), GuestWrittenPages.Concat(CpuBookkeepingPages).ToHashSet());
    }

    [KvmFact]
    public void A_host_write_shows_up_and_a_sync_with_nothing_new_is_clean()
    {
        using var vm = StateTestVm.WithCode(WriteThreePages);
        using var tracker = new DirtyPageTracker(vm.Vm, vm.Memory);
        tracker.Start();
        Assert.Equal(0UL, tracker.Sync()); // the first Sync reports writes since Start, not all of RAM

        vm.Memory.Write(0x500010, [1, 2, 3]);
        vm.Memory.Write(0x600ffe, [1, 2, 3, 4]); // straddles two pages
        Assert.Equal(3UL, tracker.Sync());
        Assert.Equal([0x500UL, 0x600, 0x601], DirtyPages(tracker.Regions[0]));

        Assert.Equal(0UL, tracker.Sync());
        Assert.Empty(DirtyPages(tracker.Regions[0]));
    }

    [KvmFact]
    public void Stop_turns_tracking_off_twice_safely_and_a_restart_forgets_old_marks()
    {
        using var vm = StateTestVm.WithCode(WriteThreePages);
        using var tracker = new DirtyPageTracker(vm.Vm, vm.Memory);
        tracker.Start();
        vm.Memory.Write(0x500000, [1]);
        tracker.Stop();
        tracker.Stop();
        Assert.False(tracker.IsTracking);
        Assert.False(vm.Memory.Regions[0].Dirty.Enabled);
        Assert.Throws<InvalidOperationException>(() => tracker.Sync());

        vm.Memory.Write(0x700000, [1]); // not tracked
        tracker.Start();
        Assert.Equal(0UL, tracker.Sync());
    }

    [KvmFact]
    public void A_failed_sync_turns_both_kinds_of_tracking_off()
    {
        using var vm = StateTestVm.WithCode(WriteThreePages);
        using var tracker = new DirtyPageTracker(vm.Vm, vm.Memory);
        tracker.Start();
        vm.Vm.SetDirtyLogging(false); // behind the tracker's back: KVM_GET_DIRTY_LOG now fails (ENOENT)
        Assert.Throws<KvmException>(() => tracker.Sync());
        Assert.False(tracker.IsTracking);
        Assert.False(vm.Memory.Regions[0].Dirty.Enabled);
    }

    [KvmFact]
    public void Sync_of_512_MiB_is_fast_idle_and_reports_every_page_written()
    {
        const ulong ram = 512UL << 20;
        const uint pages = 32768;                   // 128 MiB: ring 0 is emulated on kvm_pvm, so keep it short
        // mov rdi, 16 MiB; mov rcx, pages; loop: mov [rdi], rcx; add rdi, 4096; dec rcx; jnz loop; out 0x80, al; jmp $
        byte[] dirtyEveryPage =
        [
            0x48, 0xc7, 0xc7, 0x00, 0x00, 0x00, 0x01,
            0x48, 0xc7, 0xc1, .. BitConverter.GetBytes(pages),
            0x48, 0x89, 0x0f,
            0x48, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00,
            0x48, 0xff, 0xc9,
            0x75, 0xf1,
            0xe6, 0x80,
            0xeb, 0xfe,
        ];
        using var vm = StateTestVm.WithCode(dirtyEveryPage, ramBytes: ram);
        using var tracker = new DirtyPageTracker(vm.Vm, vm.Memory);
        tracker.Start();
        tracker.Sync();

        const int rounds = 200;
        var idle = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++) tracker.Sync();
        idle.Stop();

        var guestRun = Stopwatch.StartNew();
        Assert.Equal(KvmExit.Io, vm.Vcpu.Run());
        guestRun.Stop();
        var guestDirty = Stopwatch.StartNew();
        ulong dirtiedByGuest = tracker.Sync();
        guestDirty.Stop();

        for (ulong gpa = 0; gpa < ram; gpa += 4096) vm.Memory.Write(gpa, [1]);
        var hostDirty = Stopwatch.StartNew();
        ulong dirtiedByHost = tracker.Sync();
        hostDirty.Stop();

        tracker.Stop();
        var restart = Stopwatch.StartNew();
        tracker.Start(); // write-protects every page the guest has mapped
        restart.Stop();

        output.WriteLine($"512 MiB: Start {restart.Elapsed.TotalMicroseconds:F0} us; idle Sync {idle.Elapsed.TotalMicroseconds / rounds:F1} us; "
                         + $"guest dirtied {dirtiedByGuest} pages in {guestRun.Elapsed.TotalMilliseconds:F0} ms, Sync {guestDirty.Elapsed.TotalMicroseconds:F0} us; "
                         + $"host dirtied {dirtiedByHost} pages, Sync {hostDirty.Elapsed.TotalMicroseconds:F0} us");
        Assert.True(dirtiedByGuest >= pages, $"{dirtiedByGuest} of {pages} pages reported");
        Assert.Equal(ram / 4096, dirtiedByHost);
    }

    private static List<ulong> DirtyPages(RegionDirtyLog log)
    {
        var pages = new List<ulong>();
        for (ulong p = 0; p < log.Pages; p++)
            if (log.IsDirty(p)) pages.Add(p);
        return pages;
    }
}
