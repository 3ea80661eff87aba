using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>
/// Rewrites a State section's payload knowing its encoding: the vCPU and KVM binary records (see
/// VcpuState.Encoding.cs and VmKvmState.Encoding.cs for the layouts aimed at here), the device
/// states' JSON, the one-byte run state. Returns the new payload and a description.
/// </summary>
public static class StatePayloadMutator
{
    private const int VcpuFpuKindAt = 4 + 2 + 4 + 144 + 312;
    private const int KvmChipsAt = 6;
    private const int KvmChipSize = 512;

    public static (byte[] Payload, string What) Mutate(string id, byte[] payload, Random random)
    {
        if (payload.Length > 0 && payload[0] == (byte)'{') return MutateJson(payload, random);
        if (id.StartsWith("vcpu/", StringComparison.Ordinal) || id == "kvm")
        {
            var fields = id == "kvm" ? KvmFields() : VcpuFields(payload);
            if (random.Next(3) > 0)
            {
                var (name, at, width) = InterestingValues.Pick(random, fields);
                ulong value = InterestingValues.Any(random, width);
                return (SectionEditor.WriteField(payload, at, width, value), $"{name}@{at} := 0x{value:x}");
            }
        }
        return MutateBytes(payload, random);
    }

    /// <summary>The vCPU record's framing and size fields, found by walking it like its decoder.</summary>
    private static List<(string Name, int At, int Width)> VcpuFields(byte[] p)
    {
        var fields = new List<(string, int, int)>
        {
            ("magic", 0, 4), ("version", 4, 2), ("vcpu id", 6, 4), ("regs.rip", 10 + 128, 8), ("sregs.cr0", 154 + 224, 8),
            ("sregs.cr4", 154 + 248, 8), ("sregs.efer", 154 + 264, 8), ("sregs.apic_base", 154 + 272, 8), ("sregs.interrupt_bitmap", 154 + 280, 8),
            ("sregs.cs", 154, 8), ("fpu kind", VcpuFpuKindAt, 1), ("fpu length", VcpuFpuKindAt + 1, 4),
        };
        int blob = (int)BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(VcpuFpuKindAt + 1));
        int xcrs = VcpuFpuKindAt + 5 + blob;
        fields.Add(("xsave header xstate_bv", VcpuFpuKindAt + 5 + 512, 8));
        fields.Add(("xcr count", xcrs, 4));
        int xcrCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(xcrs));
        if (xcrCount > 0) fields.Add(("xcr0 value", xcrs + 8, 8));
        int msrs = xcrs + 4 + 12 * xcrCount;
        fields.Add(("msr count", msrs, 4));
        int msrCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(msrs));
        for (int i = 0; i < msrCount; i += Math.Max(1, msrCount / 8))
        {
            fields.Add(($"msr[{i}].index", msrs + 4 + 12 * i, 4));
            fields.Add(($"msr[{i}].value", msrs + 8 + 12 * i, 8));
        }
        int lapic = msrs + 4 + 12 * msrCount;
        int events = lapic + 1024;
        fields.AddRange([("lapic id", lapic + 0x20, 4), ("lapic svr", lapic + 0xF0, 4), ("lapic lvt timer", lapic + 0x320, 4),
            ("events.exception", events, 4), ("events.interrupt", events + 8, 4), ("events.nmi", events + 12, 4),
            ("events.sipi_vector", events + 16, 4), ("events.flags", events + 20, 4), ("mp_state", events + 64, 4),
            ("debugregs.dr6", events + 68 + 32, 8), ("debugregs.dr7", events + 68 + 40, 8), ("debugregs.flags", events + 68 + 48, 8),
            ("tsc khz", events + 68 + 128, 4)]);
        return fields;
    }

    private static List<(string Name, int At, int Width)> KvmFields()
    {
        var fields = new List<(string, int, int)> { ("magic", 0, 4), ("version", 4, 2) };
        string[] chips = ["pic master", "pic slave", "ioapic"];
        for (int c = 0; c < chips.Length; c++)
            for (int at = 0; at < 32; at += 2) fields.Add(($"{chips[c]}+{at}", KvmChipsAt + c * KvmChipSize + at, at % 8 == 0 ? 8 : 1));
        int pit = KvmChipsAt + 3 * KvmChipSize;
        for (int ch = 0; ch < 3; ch++)
            for (int at = 0; at < 24; at += 4) fields.Add(($"pit channel{ch}+{at}", pit + ch * 24 + at, 4));
        fields.Add(("pit flags", pit + 72, 4));
        fields.Add(("clock", pit + 112, 8));
        return fields;
    }

    /// <summary>Blind damage inside the payload: overwrite, cut or grow it (the crc is recomputed by the caller).</summary>
    private static (byte[], string) MutateBytes(byte[] p, Random random)
    {
        switch (random.Next(3))
        {
            case 0 when p.Length > 0:
                int at = random.Next(p.Length);
                var copy = (byte[])p.Clone();
                copy[at] = InterestingValues.Pick(random, InterestingValues.Bytes);
                return (copy, $"payload byte {at} := 0x{copy[at]:x2}");
            case 1 when p.Length > 0:
                int keep = random.Next(p.Length);
                return (p[..keep], $"payload cut to {keep} of {p.Length} bytes");
            default:
                var extra = new byte[random.Next(1, 64)];
                random.NextBytes(extra);
                return ([.. p, .. extra], $"payload grown by {extra.Length} bytes");
        }
    }

    private static readonly Func<JsonNode?>[] HostileJson =
    [
        () => null, () => 0, () => -1, () => 255, () => 256, () => 65536, () => int.MaxValue, () => 4294967296L, () => long.MinValue,
        () => ulong.MaxValue, () => 1e300, () => 0.5, () => "x", () => "", () => true, () => new JsonArray(), () => new JsonObject(),
        () => new JsonArray(Enumerable.Range(0, 70000).Select(_ => (JsonNode?)0).ToArray()),
    ];

    /// <summary>One hostile change to a device state's JSON: a value replaced, a member removed or repeated, or the text broken.</summary>
    private static (byte[], string) MutateJson(byte[] payload, Random random)
    {
        var root = JsonNode.Parse(payload)!;
        var slots = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(root, slots);
        if (slots.Count == 0 || random.Next(8) == 0) return BreakText(payload, random);
        var (parent, key, index) = InterestingValues.Pick(random, slots);
        string where = parent.GetPath() + (key is null ? $"[{index}]" : "." + key);
        string what;
        switch (random.Next(4))
        {
            case 0 when key is not null:
                parent.AsObject().Remove(key);
                what = $"removed {where}";
                break;
            case 1 when key is null:
                var array = parent.AsArray();
                array.Add(array[index]?.DeepClone());
                what = $"repeated {where}";
                break;
            default:
                var value = InterestingValues.Pick(random, HostileJson)();
                if (key is null) parent.AsArray()[index] = value;
                else parent.AsObject()[key] = value;
                string shown = value?.ToJsonString() ?? "null";
                what = $"{where} := {(shown.Length > 20 ? shown[..20] + "..." : shown)}";
                break;
        }
        return (JsonSerializer.SerializeToUtf8Bytes(root), what);
    }

    private static void Collect(JsonNode node, List<(JsonNode, string?, int)> slots)
    {
        if (node is JsonObject o)
            foreach (var (key, child) in o.ToList())
            {
                slots.Add((o, key, 0));
                if (child is not null) Collect(child, slots);
            }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++)
            {
                slots.Add((a, null, i));
                if (a[i] is { } child) Collect(child, slots);
            }
    }

    private static (byte[], string) BreakText(byte[] payload, Random random)
    {
        string text = Encoding.UTF8.GetString(payload);
        int at = random.Next(text.Length);
        return random.Next(3) switch
        {
            0 => (Encoding.UTF8.GetBytes(text[..at]), $"JSON cut at {at}"),
            1 => (Encoding.UTF8.GetBytes(text.Insert(at, "\"\\u0000}]")), $"JSON junk at {at}"),
            _ => (Encoding.UTF8.GetBytes(new string('[', 5000) + text), "JSON nested 5000 deep"),
        };
    }
}
