using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;

namespace Tern.Actors.Tests.Migration;

/// <summary>
/// Damaged copies of a valid stream: the reader may only ever throw MigrationStreamException, and
/// when it does accept a stream (damage in a page that a later round sends again) the guest memory
/// must be exactly the source's. Pages the valid stream never names must never be touched.
/// </summary>
public sealed class MigrationStreamFuzzTests : IDisposable
{
    private const ulong Page = TestMemory.Page;
    private const byte Canary = 0xA5;
    private const ulong HighStart = 4UL << 30;

    // Small memories keep each of the thousands of reads cheap; the layout still has RAM above 4 GiB.
    private readonly GuestMemory _source = new([(0, 2 << 20), (HighStart, 1 << 20)]);
    private readonly GuestMemory _destination = new([(0, 2 << 20), (HighStart, 1 << 20)]);
    private readonly PageRun[] _round1 = [new(0, 256), new(HighStart, 128)];
    private readonly PageRun[] _round2 = [new(8 * Page, 4), new(HighStart + 64 * Page, 1)];
    private readonly byte[] _valid;
    private readonly byte[] _work; // a damaged copy, repaired after each case (no 700 KB allocation per case)

    public MigrationStreamFuzzTests()
    {
        for (ulong p = 0; p < 256; p++)
            if (p % 3 != 0) TestMemory.FillPage(_source, p * Page, 5);
        for (ulong p = 0; p < 128; p += 2) TestMemory.FillPage(_source, HighStart + p * Page, 5);

        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, _source);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        writer.WriteRam(_round1);
        writer.WriteRoundEnd();
        writer.WriteRam(_round2);
        writer.WriteState("vcpu0", 1, [9, 8, 7]);
        writer.WriteRoundEnd();
        writer.WriteEnd();
        _valid = bytes.ToArray();
        _work = (byte[])_valid.Clone();
    }

    public void Dispose()
    {
        _source.Dispose();
        _destination.Dispose();
    }

    [Fact]
    public void The_undamaged_stream_is_accepted()
    {
        Assert.True(ReadAll(_valid), "the valid stream was refused");
        AssertOutcome(accepted: true, "undamaged");
    }

    [Fact]
    public void Every_byte_flip_in_the_first_4_KiB_is_refused()
    {
        for (int i = 0; i < 4096; i++)
        {
            _work[i] ^= (byte)(1 << (i % 8));
            Assert.False(ReadAll(_work), $"a flip at byte {i} was accepted");
            _work[i] = _valid[i];
            AssertOutcome(accepted: false, $"flip at {i}");
        }
    }

    [Fact]
    public void Random_byte_flips_anywhere_are_refused_or_repaired_by_a_later_round()
    {
        var random = new Random(20240611);
        int accepted = 0;
        for (int n = 0; n < 3000; n++)
        {
            int at = random.Next(_work.Length);
            _work[at] ^= (byte)random.Next(1, 256);
            bool ok = ReadAll(_work);
            _work[at] = _valid[at];
            if (ok) accepted++;
            AssertOutcome(ok, $"flip at {at}");
        }
        Assert.InRange(accepted, 1, 3000 / 10); // only damage in the pages round 2 sends again can be accepted
    }

    [Fact]
    public void Random_garbage_runs_never_escape_as_anything_but_a_stream_fault()
    {
        var random = new Random(7);
        for (int n = 0; n < 2000; n++)
        {
            int length = random.Next(1, 65);
            int at = random.Next(_work.Length - length);
            random.NextBytes(_work.AsSpan(at, length));
            AssertOutcome(ReadAll(_work), $"garbage at {at}+{length}");
            _valid.AsSpan(at, length).CopyTo(_work.AsSpan(at));
        }
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        var random = new Random(11);
        var cuts = Enumerable.Range(0, 600).Select(_ => random.Next(_valid.Length))
            .Concat(Enumerable.Range(0, 200)) // every cut inside the header, Config and first table
            .Append(_valid.Length - 1);
        foreach (int cut in cuts)
        {
            Assert.False(ReadAll(_valid, cut), $"a stream cut at {cut} of {_valid.Length} was accepted");
            AssertOutcome(accepted: false, $"cut at {cut}");
        }
    }

    [Fact]
    public void Random_bytes_after_a_valid_start_are_refused()
    {
        var random = new Random(3);
        var start = RawStream.Started().ToArray();
        for (int n = 0; n < 2000; n++)
        {
            var tail = new byte[random.Next(1, 200)];
            random.NextBytes(tail);
            if (n % 4 == 0) tail[0] = (byte)random.Next(1, 7); // a known kind, to get past the first check
            Assert.False(ReadAll([.. start, .. tail]), $"random tail {Convert.ToHexString(tail)} accepted");
            AssertOutcome(accepted: false, "random tail");
        }
    }

    /// <summary>Reads the whole stream into a canary-filled destination; false when it was refused.</summary>
    private bool ReadAll(byte[] stream, int? length = null)
    {
        TestMemory.FillEverything(_destination, Canary);
        var reader = new MigrationStreamReader(new MemoryStream(stream, 0, length ?? stream.Length, writable: false), _destination);
        try
        {
            while (reader.ReadNext() is not (MigrationSection.End or MigrationSection.Cancel)) { }
            return true;
        }
        catch (MigrationStreamException)
        {
            return false;
        }
        // Anything else (GuestMemoryException for a write outside RAM, overflow, index out of
        // range ...) escapes and fails the test.
    }

    private void AssertOutcome(bool accepted, string what)
    {
        foreach (var r in _destination.Regions)
            for (ulong gpa = r.Start; gpa < r.End; gpa += Page)
            {
                var got = _destination.ReadSpan(gpa, (int)Page);
                if (!InRound1(gpa))
                    Assert.True(got.IndexOfAnyExcept(Canary) < 0, $"{what}: page 0x{gpa:x}, never sent, was written");
                else if (accepted)
                    Assert.True(got.SequenceEqual(_source.ReadSpan(gpa, (int)Page)), $"{what}: accepted, but page 0x{gpa:x} differs");
            }
    }

    private bool InRound1(ulong gpa)
    {
        foreach (var r in _round1)
            if (gpa >= r.Gpa && gpa < r.Gpa + r.Pages * Page) return true;
        return false;
    }
}
