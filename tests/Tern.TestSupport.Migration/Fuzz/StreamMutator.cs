using System.Text;
using Tern.Actors.Migration.Engine.Wire;
using static Tern.TestSupport.Migration.Fuzz.SectionEditor;

namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>
/// Makes hostile variants of one recorded stream, deterministically from a <see cref="Random"/>:
/// blind damage (bit flips, interesting bytes, inserted, deleted or garbled chunks, truncation at
/// and around every section boundary and anywhere) and format-aware rewrites with recomputed
/// checksums (header fields, Ram range tables, vCPU/KVM/device state payloads, round numbers,
/// sections dropped, repeated, reordered or invented, the commit frame replaced).
/// </summary>
public sealed class StreamMutator
{
    private readonly byte[] _s;
    private readonly StreamLayout _layout;
    private readonly (int Weight, Func<Random, Mutation> Make)[] _operators;
    private readonly int _totalWeight;

    public StreamMutator(byte[] stream)
    {
        _s = stream;
        _layout = StreamLayout.Parse(stream);
        _operators =
        [
            (6, FlipBits), (4, OverwriteByte), (6, OverwriteFieldRaw), (8, Truncate), (3, DeleteChunk), (3, InsertChunk), (2, Garble),
            (5, RewriteHeader), (4, ResizePayload), (10, RewriteRamTable), (14, RewriteState), (3, RewriteRoundEnd),
            (6, Restructure), (4, InventSection), (2, ReplaceCommit),
        ];
        _totalWeight = _operators.Sum(o => o.Weight);
    }

    public StreamLayout Layout => _layout;

    public Mutation Next(Random random)
    {
        int pick = random.Next(_totalWeight);
        foreach (var (weight, make) in _operators)
        {
            if (pick < weight) return make(random);
            pick -= weight;
        }
        throw new InvalidOperationException("unreachable");
    }

    // ---- blind damage ----

    /// <summary>Half the time inside the framing (stream header, section headers, tables, crcs), else anywhere.</summary>
    private int Position(Random random)
    {
        if (random.Next(2) == 0) return random.Next(_s.Length);
        var s = InterestingValues.Pick(random, _layout.Sections);
        return random.Next(4) == 0 ? random.Next(MigrationStreamFormat.HeaderBytes) : random.Next(s.Start, s.DataStart);
    }

    private Mutation FlipBits(Random random)
    {
        var bytes = (byte[])_s.Clone();
        int n = random.Next(1, 5);
        var at = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int p = Position(random);
            bytes[p] ^= (byte)(1 << random.Next(8));
            at.Add(p);
        }
        return new(bytes, $"bit flips at {string.Join(",", at)}", MutationClass.Damage);
    }

    private Mutation OverwriteByte(Random random)
    {
        int at = Position(random);
        byte value = InterestingValues.Pick(random, InterestingValues.Bytes);
        var bytes = (byte[])_s.Clone();
        bytes[at] = value;
        return new(bytes, $"byte {at} := 0x{value:x2}", MutationClass.Damage);
    }

    /// <summary>A framing field (stream magic or version, a section's kind, id length, version or length) set without fixing the crc.</summary>
    private Mutation OverwriteFieldRaw(Random random)
    {
        var s = InterestingValues.Pick(random, _layout.Sections);
        var (name, at, width) = random.Next(6) switch
        {
            0 => ("stream magic", random.Next(8), 1),
            1 => ("stream version", 8, 4),
            2 => ($"{s.Kind}@{s.Start} kind", s.Start, 1),
            3 => ($"{s.Kind}@{s.Start} id length", s.IdLengthAt, 2),
            4 => ($"{s.Kind}@{s.Start} version", s.VersionAt, 4),
            _ => ($"{s.Kind}@{s.Start} payload length", s.PayloadLengthAt, 8),
        };
        ulong value = InterestingValues.Any(random, width);
        return new(WriteField(_s, at, width, value), $"{name} := 0x{value:x} (crc not fixed)", MutationClass.Damage);
    }

    private Mutation Truncate(Random random)
    {
        int cut = random.Next(3) switch
        {
            0 => random.Next(_s.Length),
            _ => Math.Clamp(InterestingValues.Pick(random, _layout.Boundaries.ToArray()) + random.Next(-4, 24), 0, _s.Length - 1),
        };
        return new(_s[..cut], $"truncated at {cut} of {_s.Length}", MutationClass.Damage);
    }

    private Mutation DeleteChunk(Random random)
    {
        int at = Position(random);
        int length = Math.Min(random.Next(2) == 0 ? random.Next(1, 17) : random.Next(1, 8192), _s.Length - at);
        return new(Splice(_s, at, at + length, []), $"deleted {length} bytes at {at}", MutationClass.Damage);
    }

    private Mutation InsertChunk(Random random)
    {
        int at = Position(random);
        byte[] chunk;
        string what;
        if (random.Next(2) == 0)
        {
            int from = random.Next(_s.Length);
            chunk = _s.AsSpan(from, Math.Min(random.Next(1, 4096), _s.Length - from)).ToArray();
            what = $"copy of {chunk.Length} bytes from {from}";
        }
        else
        {
            chunk = new byte[random.Next(1, 65)];
            random.NextBytes(chunk);
            what = $"{chunk.Length} random bytes";
        }
        return new(Insert(_s, at, chunk), $"inserted {what} at {at}", MutationClass.Damage);
    }

    private Mutation Garble(Random random)
    {
        int at = Position(random);
        var bytes = (byte[])_s.Clone();
        int length = Math.Min(random.Next(1, 65), bytes.Length - at);
        random.NextBytes(bytes.AsSpan(at, length));
        return new(bytes, $"{length} random bytes over {at}", MutationClass.Damage);
    }

    // ---- rewrites with recomputed checksums ----

    private SectionSpan PickSection(Random random, Func<SectionSpan, bool> where)
    {
        var candidates = _layout.Sections.Where(where).ToArray();
        return InterestingValues.Pick(random, candidates.Length > 0 ? candidates : _layout.Sections.ToArray());
    }

    private static readonly byte[][] HostileIds =
    [
        [], "vcpu/0"u8.ToArray(), "vcpu/1"u8.ToArray(), "vcpu/7"u8.ToArray(), "kvm"u8.ToArray(), "legacy"u8.ToArray(), "vm/run"u8.ToArray(),
        "virtio-pci/rootfs"u8.ToArray(), "virtio-blk/rootfs"u8.ToArray(), "virtio-pci/nosuch"u8.ToArray(), Encoding.UTF8.GetBytes(new string('x', 64)),
        Encoding.UTF8.GetBytes(new string('x', 65)), [0xC3, 0x28], "a\u0001b"u8.ToArray(), "\u00e9t\u00e9"u8.ToArray(),
    ];

    private Mutation RewriteHeader(Random random)
    {
        var s = PickSection(random, _ => true);
        string where = $"{s.Kind} '{s.Id}'@{s.Start}";
        switch (random.Next(3))
        {
            case 0:
                uint version = InterestingValues.Pick(random, InterestingValues.U32);
                return new(Reseal(_s, s, version: version), $"{where} version := {version}", MutationClass.Reseal);
            case 1:
                byte kind = InterestingValues.Pick(random, InterestingValues.Bytes);
                return new(Reseal(_s, s, kind: kind), $"{where} kind := {kind}", MutationClass.Reseal);
            default:
                var id = InterestingValues.Pick(random, HostileIds);
                return new(Reseal(_s, s, id: id), $"{where} id := {Convert.ToHexString(id)}", MutationClass.Reseal);
        }
    }

    private Mutation ResizePayload(Random random)
    {
        var s = PickSection(random, x => x.Kind != MigrationSectionKind.Ram || random.Next(4) == 0);
        var payload = Payload(_s, s);
        byte[] resized = random.Next(2) == 0 && payload.Length > 0
            ? payload[..random.Next(payload.Length)]
            : [.. payload, .. new byte[random.Next(1, 300)]];
        return new(Reseal(_s, s, payload: resized), $"{s.Kind} '{s.Id}'@{s.Start} payload {payload.Length} -> {resized.Length} bytes", MutationClass.Reseal);
    }

    /// <summary>A Ram table's count, a range's address, length or flags, or a page checksum, rewritten; the data left as it was.</summary>
    private Mutation RewriteRamTable(Random random)
    {
        var s = PickSection(random, x => x.Kind == MigrationSectionKind.Ram);
        var table = Payload(_s, s);
        int count = BitConverter.ToInt32(table, 0);
        int i = random.Next(count);
        int entry = 4 + i * MigrationStreamFormat.RamRangeEntryBytes;
        var (name, at, width, value) = random.Next(6) switch
        {
            0 => ("count", 0, 4, (ulong)InterestingValues.Pick(random, InterestingValues.U32)),
            1 or 2 => ($"range[{i}].gpa", entry, 8, InterestingValues.Pick(random, InterestingValues.Addresses)),
            3 or 4 => ($"range[{i}].length", entry + 8, 8, InterestingValues.Pick(random, InterestingValues.Lengths)),
            _ => ($"range[{i}].flags", entry + 16, 1, (ulong)InterestingValues.Pick(random, InterestingValues.Bytes)),
        };
        int crcsAt = 4 + count * MigrationStreamFormat.RamRangeEntryBytes;
        int dataPages = (table.Length - crcsAt) / 4;
        if (random.Next(8) == 0 && dataPages > 0)
        {
            int crcAt = crcsAt + 4 * random.Next(dataPages);
            (name, at, width, value) = ($"page crc @{crcAt}", crcAt, 4, (ulong)random.Next());
        }
        return new(Reseal(_s, s, payload: WriteField(table, at, width, value)), $"Ram@{s.Start} {name} := 0x{value:x}", MutationClass.Reseal);
    }

    private Mutation RewriteState(Random random)
    {
        var s = PickSection(random, x => x.Kind == MigrationSectionKind.State);
        var (payload, what) = StatePayloadMutator.Mutate(s.Id, Payload(_s, s), random);
        return new(Reseal(_s, s, payload: payload), $"State '{s.Id}'@{s.Start}: {what}", MutationClass.Reseal);
    }

    private Mutation RewriteRoundEnd(Random random)
    {
        var s = PickSection(random, x => x.Kind == MigrationSectionKind.RoundEnd);
        var payload = Payload(_s, s);
        bool round = random.Next(2) == 0;
        ulong value = round ? InterestingValues.Pick(random, InterestingValues.U32) : InterestingValues.Pick(random, InterestingValues.Lengths);
        return new(Reseal(_s, s, payload: WriteField(payload, round ? 0 : 4, round ? 4 : 8, value)),
            $"RoundEnd@{s.Start} {(round ? "round" : "pages")} := {value}", MutationClass.Reseal);
    }

    /// <summary>Whole sections, checksums intact, dropped, repeated, swapped or moved (never the Config, so the case goes deeper).</summary>
    private Mutation Restructure(Random random)
    {
        var body = _layout.Sections.Skip(1).ToArray();
        var s = InterestingValues.Pick(random, body);
        var whole = _s[s.Start..s.End];
        int elsewhere = InterestingValues.Pick(random, body).Start;
        switch (random.Next(4))
        {
            case 0:
                return new(Splice(_s, s.Start, s.End, []), $"dropped {s.Kind} '{s.Id}'@{s.Start}", MutationClass.Reseal);
            case 1:
                return new(Insert(_s, elsewhere, whole), $"repeated {s.Kind} '{s.Id}'@{s.Start} at {elsewhere}", MutationClass.Reseal);
            case 2 when elsewhere != s.Start:
                var removed = Splice(_s, s.Start, s.End, []);
                int to = elsewhere > s.Start ? elsewhere - whole.Length : elsewhere;
                return new(Insert(removed, to, whole), $"moved {s.Kind} '{s.Id}'@{s.Start} to {elsewhere}", MutationClass.Reseal);
            case 2:
                goto case 1;
            default:
                int i = _layout.Sections.ToList().IndexOf(s);
                if (i + 1 >= _layout.Sections.Count) goto case 0;
                var next = _layout.Sections[i + 1];
                byte[] swapped = [.. _s.AsSpan(next.Start, next.End - next.Start), .. whole];
                return new(Splice(_s, s.Start, next.End, swapped), $"swapped {s.Kind}@{s.Start} with {next.Kind}@{next.Start}", MutationClass.Reseal);
        }
    }

    /// <summary>A well-framed section the source never sent: an early End or Cancel, a second Config, an unknown state, a huge declared length.</summary>
    private Mutation InventSection(Random random)
    {
        int at = InterestingValues.Pick(random, _layout.Sections.Skip(1).ToArray()).Start;
        var config = _layout.Sections[0];
        var (section, what) = random.Next(6) switch
        {
            0 => (Build((byte)MigrationSectionKind.End, [], 1, [], []), "End"),
            1 => (Build((byte)MigrationSectionKind.Cancel, [], 1, [], []), "Cancel"),
            2 => (_s[config.Start..config.End], "second Config"),
            3 => (Build((byte)MigrationSectionKind.State, InterestingValues.Pick(random, HostileIds), (uint)random.Next(3), RandomBytes(random), []), "State"),
            4 => (new RawStream().Section(MigrationSectionKind.State, "vcpu/0"u8.ToArray(), declaredLength: (ulong)MigrationStreamFormat.MaxStateBytes).ToArray()[..^4],
                "State declaring 16 MiB"),
            _ => (Build((byte)MigrationSectionKind.RoundEnd, [], 1, WriteField(new byte[12], 0, 4, (ulong)random.Next(0, 8)), []), "RoundEnd"),
        };
        return new(Insert(_s, at, section), $"invented {what} at {at}", MutationClass.Reseal);
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2000)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The source's commit frame (after End) replaced by another well-formed back-channel frame.</summary>
    private Mutation ReplaceCommit(Random random)
    {
        MigrationReply reply = random.Next(3) switch
        {
            0 => new MigrationReply.Error("source gave up"),
            1 => new MigrationReply.Ack((uint)random.Next()),
            _ => new MigrationReply.Error(new string('e', 5000)),
        };
        return new(Splice(_s, _layout.TrailerStart, _s.Length, MigrationBackChannel.Encode(reply)), $"commit replaced by {reply}", MutationClass.Reseal);
    }
}
