using System.Text;
using Tern.Devices.Virtio;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio;

public sealed class VirtioBlockTests : IDisposable
{
    private const ulong Header = 0x100000, Data = 0x200000, Status = 0x300000;
    private const int DiskBytes = 64 * 1024; // 128 sectors

    private readonly GuestMemory _memory = new([(0, 16UL << 20)]);
    private readonly TempDisk _disk = new(DiskBytes);
    private readonly RecordingNotifier _notifier = new();
    private readonly DriverQueue _queue;
    private VirtioBlock? _block;

    public VirtioBlockTests() => _queue = new DriverQueue(_memory, 16);

    public void Dispose()
    {
        _block?.Dispose();
        _disk.Dispose();
        _memory.Dispose();
    }

    private VirtioBlock Start(bool readOnly = false, bool direct = false, string? serial = null, bool eventIdx = false)
    {
        _block = new VirtioBlock(DiskImage.Open(_disk.Path, readOnly, direct), serial, queueCount: 1, queueSize: 16);
        ulong features = VirtioFeatures.Version1 | VirtioFeatures.IndirectDesc | (eventIdx ? VirtioFeatures.RingEventIdx : 0);
        _block.Activate(new VirtioDeviceContext(_memory, features, [_queue.DeviceQueue(eventIdx)], _notifier));
        return _block;
    }

    private void WriteHeader(uint type, ulong sector, ulong at = Header)
    {
        _memory.WriteObj(at, type);
        _memory.WriteObj(at + 4, 0u);
        _memory.WriteObj(at + 8, sector);
    }

    private byte StatusByte => _memory.ReadObj<byte>(Status);

    private (byte Status, uint UsedLength) Submit(uint type, ulong sector, uint dataLength, bool dataWritable)
    {
        WriteHeader(type, sector);
        _memory.Write(Status, [0xee]);
        var buffers = new List<GuestBuffer> { new(Header, 16, false) };
        if (dataLength > 0) buffers.Add(new(Data, dataLength, dataWritable));
        buffers.Add(new(Status, 1, true));
        int before = _queue.UsedIndex;
        _queue.Add([.. buffers]);
        _block!.ProcessQueue(0);
        Assert.Equal(before + 1, _queue.UsedIndex);
        return (StatusByte, _queue.UsedElement(before).Length);
    }

    private byte[] Expected(long offset, int length) => Enumerable.Range(0, length).Select(i => TempDisk.Pattern(offset + i)).ToArray();

    [Fact]
    public void Read_copies_the_sectors_into_guest_memory_and_reports_data_plus_status()
    {
        Start();
        var (status, used) = Submit(BlockRequest.TypeIn, sector: 2, dataLength: 1024, dataWritable: true);
        Assert.Equal(BlockRequest.StatusOk, status);
        Assert.Equal(1025u, used);
        Assert.Equal(Expected(1024, 1024), _memory.ReadSpan(Data, 1024).ToArray());
        Assert.Equal([0], _notifier.Used);
        Assert.Equal(0u, _queue.UsedElement(0).Id);
    }

    [Fact]
    public void Write_lands_in_the_file_at_the_sector()
    {
        Start();
        var payload = Enumerable.Range(0, 512).Select(i => (byte)(i ^ 0x5a)).ToArray();
        _memory.Write(Data, payload);
        var (status, used) = Submit(BlockRequest.TypeOut, sector: 5, dataLength: 512, dataWritable: false);
        Assert.Equal(BlockRequest.StatusOk, status);
        Assert.Equal(1u, used);
        var file = _disk.Contents;
        Assert.Equal(payload, file.AsSpan(5 * 512, 512).ToArray());
        Assert.Equal(Expected(6 * 512, 512), file.AsSpan(6 * 512, 512).ToArray());
    }

    [Fact]
    public void Flush_succeeds()
    {
        Start();
        Assert.Equal((BlockRequest.StatusOk, 1u), Submit(BlockRequest.TypeFlush, 0, 0, false));
    }

    [Fact]
    public void Get_id_returns_the_serial_nul_padded_to_20_bytes()
    {
        Start(serial: "tern-disk-7");
        _memory.Write(Data, Enumerable.Repeat((byte)0xcc, 20).ToArray());
        var (status, used) = Submit(BlockRequest.TypeGetId, 0, 20, true);
        Assert.Equal(BlockRequest.StatusOk, status);
        Assert.Equal(21u, used);
        var expected = new byte[20];
        Encoding.ASCII.GetBytes("tern-disk-7").CopyTo(expected, 0);
        Assert.Equal(expected, _memory.ReadSpan(Data, 20).ToArray());
    }

    [Fact]
    public void Get_id_without_a_serial_is_all_zero()
    {
        Start();
        _memory.Write(Data, Enumerable.Repeat((byte)0xcc, 20).ToArray());
        Submit(BlockRequest.TypeGetId, 0, 20, true);
        Assert.Equal(new byte[20], _memory.ReadSpan(Data, 20).ToArray());
    }

    [Fact]
    public void A_read_only_drive_refuses_writes_and_changes_nothing()
    {
        var block = Start(readOnly: true);
        Assert.NotEqual(0UL, block.OfferedFeatures & VirtioBlockFeatures.ReadOnly);
        _memory.Write(Data, new byte[512]);
        var before = _disk.Contents;
        Assert.Equal((BlockRequest.StatusIoError, 1u), Submit(BlockRequest.TypeOut, 0, 512, false));
        Assert.Equal(before, _disk.Contents);
        Assert.Equal(BlockRequest.StatusOk, Submit(BlockRequest.TypeIn, 0, 512, true).Status);
    }

    [Theory]
    [InlineData(127UL, 1024u)]                 // runs past the last sector
    [InlineData(128UL, 512u)]                  // starts at capacity
    [InlineData(0xffff_ffff_ffff_fff0UL, 512u)] // sector * 512 would overflow
    public void Reads_and_writes_beyond_capacity_fail_with_ioerr(ulong sector, uint length)
    {
        Start();
        var before = _disk.Contents;
        Assert.Equal((BlockRequest.StatusIoError, 1u), Submit(BlockRequest.TypeIn, sector, length, true));
        Assert.Equal((BlockRequest.StatusIoError, 1u), Submit(BlockRequest.TypeOut, sector, length, false));
        Assert.Equal(before, _disk.Contents);
        Assert.Empty(_notifier.Broken);
    }

    [Fact]
    public void Data_that_is_not_whole_sectors_fails_with_ioerr()
    {
        Start();
        Assert.Equal(BlockRequest.StatusIoError, Submit(BlockRequest.TypeIn, 0, 100, true).Status);
    }

    [Fact]
    public void Unknown_request_types_are_unsupported()
    {
        Start();
        Assert.Equal((BlockRequest.StatusUnsupported, 1u), Submit(11, 0, 0, false)); // DISCARD, not offered
    }

    [Fact]
    public void Any_descriptor_layout_works_split_header_and_scattered_data()
    {
        Start();
        WriteHeader(BlockRequest.TypeIn, 1);
        _queue.Add(new(Header, 10, false), new(Header + 10, 6, false),
            new(Data, 300, true), new(Data + 0x1000, 212, true), new(Status, 1, true));
        _block!.ProcessQueue(0);
        Assert.Equal(BlockRequest.StatusOk, StatusByte);
        Assert.Equal(513u, _queue.UsedElement(0).Length);
        var expected = Expected(512, 512);
        Assert.Equal(expected[..300], _memory.ReadSpan(Data, 300).ToArray());
        Assert.Equal(expected[300..], _memory.ReadSpan(Data + 0x1000, 212).ToArray());
    }

    [Fact]
    public void Indirect_tables_carry_a_whole_request()
    {
        Start();
        WriteHeader(BlockRequest.TypeIn, 3);
        _queue.AddIndirect(0x400000, new(Header, 16, false), new(Data, 512, true), new(Status, 1, true));
        _block!.ProcessQueue(0);
        Assert.Equal(BlockRequest.StatusOk, StatusByte);
        Assert.Equal(Expected(3 * 512, 512), _memory.ReadSpan(Data, 512).ToArray());
    }

    [Fact]
    public void Several_requests_complete_in_one_batch_with_one_interrupt()
    {
        Start();
        for (int i = 0; i < 3; i++)
        {
            WriteHeader(BlockRequest.TypeIn, (ulong)i, Header + (ulong)(i * 64));
            _queue.Add(new(Header + (ulong)(i * 64), 16, false), new(Data + (ulong)(i * 512), 512, true), new(Status + (ulong)i, 1, true));
        }
        _block!.ProcessQueue(0);
        Assert.Equal(3, _queue.UsedIndex);
        Assert.Single(_notifier.Used);
        Assert.Equal(Expected(0, 1536), _memory.ReadSpan(Data, 1536).ToArray());
    }

    [Theory]
    [InlineData(0x200000UL, 4096u, 8)]   // aligned: straight into guest memory
    [InlineData(0x200003UL, 1024u, 1)]   // unaligned address: through the bounce buffer
    public void Direct_io_reads_and_writes_the_file_correctly(ulong buffer, uint length, int sector)
    {
        Start(direct: true);
        Assert.True(_block!.Disk.Direct);
        WriteHeader(BlockRequest.TypeIn, (ulong)sector);
        _queue.Add(new(Header, 16, false), new(buffer, length, true), new(Status, 1, true));
        _block.ProcessQueue(0);
        Assert.Equal(BlockRequest.StatusOk, StatusByte);
        Assert.Equal(Expected(sector * 512, (int)length), _memory.ReadSpan(buffer, (int)length).ToArray());

        var payload = Enumerable.Range(0, (int)length).Select(i => (byte)(i * 3 + 1)).ToArray();
        _memory.Write(buffer, payload);
        WriteHeader(BlockRequest.TypeOut, (ulong)sector + 10);
        _queue.Add(new(Header, 16, false), new(buffer, length, false), new(Status, 1, true));
        _block.ProcessQueue(0);
        Assert.Equal(BlockRequest.StatusOk, StatusByte);
        Assert.Equal(payload, _disk.Contents.AsSpan((sector + 10) * 512, (int)length).ToArray());
    }

    [Fact]
    public void No_interrupt_flag_suppresses_the_notification()
    {
        Start();
        _queue.SetAvailFlags(1);
        Submit(BlockRequest.TypeFlush, 0, 0, false);
        Assert.Empty(_notifier.Used);
    }

    [Fact]
    public void Event_idx_interrupts_only_when_used_event_is_crossed_and_publishes_avail_event()
    {
        Start(eventIdx: true);
        _queue.SetUsedEvent(1); // interrupt when the used index passes 1, i.e. after the second request
        Submit(BlockRequest.TypeFlush, 0, 0, false);
        Assert.Single(_notifier.Used); // the first decision always interrupts
        Assert.Equal(1, _queue.AvailEvent);
        Submit(BlockRequest.TypeFlush, 0, 0, false);
        Assert.Equal(2, _notifier.Used.Count);
        Submit(BlockRequest.TypeFlush, 0, 0, false); // used_event still 1: no interrupt
        Assert.Equal(2, _notifier.Used.Count);
        Assert.Equal(3, _queue.AvailEvent);
    }

    [Fact]
    public void Pause_drains_and_holds_requests_until_resume_kicks_the_queue()
    {
        var block = Start();
        block.Pause();
        WriteHeader(BlockRequest.TypeFlush, 0);
        _queue.Add(new(Header, 16, false), new(Status, 1, true));
        block.ProcessQueue(0);
        Assert.Equal(0, _queue.UsedIndex);
        block.Resume();
        Assert.Equal([0], _notifier.Kicks);
        block.ProcessQueue(0);
        Assert.Equal(1, _queue.UsedIndex);
    }

    [Fact]
    public void Reset_forgets_the_queues()
    {
        var block = Start();
        block.Reset();
        WriteHeader(BlockRequest.TypeFlush, 0);
        _queue.Add(new(Header, 16, false), new(Status, 1, true));
        block.ProcessQueue(0);
        Assert.Equal(0, _queue.UsedIndex);
    }

    [Fact]
    public void Saved_state_is_checked_against_the_disk()
    {
        var block = Start(serial: "a");
        var state = block.Save();
        block.CheckRestore(state);
        Assert.Throws<Tern.Devices.DeviceStateException>(() => block.CheckRestore(state with { CapacitySectors = 1 }));
        Assert.Throws<Tern.Devices.DeviceStateException>(() => block.CheckRestore(state with { Serial = "b" }));
    }
}
