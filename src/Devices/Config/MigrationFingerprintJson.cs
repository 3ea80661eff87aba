using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tern.Devices.Config;

/// <summary>
/// The fingerprint's wire form: UTF-8 JSON with camelCase names, null fields left out. Decoding is
/// strict because the bytes come from the network: a size limit, a small nesting depth, required
/// fields, no nulls where the type has none, and no unknown fields (a newer source describing
/// something this Tern cannot check is refused rather than ignored).
/// </summary>
public static class MigrationFingerprintJson
{
    /// <summary>The largest fingerprint accepted (also the stream's Config section limit).</summary>
    public const int MaxBytes = 1 << 20;
    public const int MaxDevices = 1024;
    /// <summary>Longest accepted string field, in characters (PATH_MAX).</summary>
    public const int MaxStringLength = 4096;

    public static byte[] Encode(MigrationFingerprint fingerprint) =>
        JsonSerializer.SerializeToUtf8Bytes(fingerprint, MigrationFingerprintJsonContext.Default.MigrationFingerprint);

    public static MigrationFingerprint Decode(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxBytes)
            throw new MigrationFingerprintException($"fingerprint of {json.Length} bytes is over the {MaxBytes >> 20} MiB limit");
        MigrationFingerprint? fingerprint;
        try
        {
            fingerprint = JsonSerializer.Deserialize(json, MigrationFingerprintJsonContext.Default.MigrationFingerprint);
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 0 } path ? $" at {path}" : $" at byte {e.BytePositionInLine}";
            throw new MigrationFingerprintException($"fingerprint JSON is invalid{where}", e);
        }
        if (fingerprint is null) throw new MigrationFingerprintException("fingerprint JSON is null");
        Validate(fingerprint);
        return fingerprint;
    }

    private static void Validate(MigrationFingerprint f)
    {
        if (f.Devices is null) throw new MigrationFingerprintException("fingerprint has no device list");
        if (f.Devices.Count > MaxDevices) throw new MigrationFingerprintException($"fingerprint lists {f.Devices.Count} devices, over the limit {MaxDevices}");
        CheckString("machineType", f.MachineType);
        CheckString("topology", f.Topology);
        CheckString("cpuModel", f.CpuModel);
        CheckString("cpuFeatures", f.CpuFeatures);
        for (int i = 0; i < f.Devices.Count; i++)
        {
            var d = f.Devices[i] ?? throw new MigrationFingerprintException($"fingerprint device {i} is null");
            string at = $"devices[{i}].";
            CheckString(at + "kind", d.Kind);
            CheckString(at + "bus", d.Bus);
            CheckString(at + "addr", d.Addr);
            CheckString(at + "id", d.Id);
            if (d.Mac is not null) CheckString(at + "mac", d.Mac);
            if (d.Drive is { } drive)
            {
                CheckString(at + "drive.id", drive.Id);
                CheckString(at + "drive.path", drive.Path);
                if (drive.Serial is not null) CheckString(at + "drive.serial", drive.Serial);
            }
        }
    }

    private static void CheckString(string field, string? value)
    {
        if (value is null) throw new MigrationFingerprintException($"fingerprint field {field} is null");
        if (value.Length > MaxStringLength)
            throw new MigrationFingerprintException($"fingerprint field {field} of {value.Length} characters is over the limit {MaxStringLength}");
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowDuplicateProperties = false,
    MaxDepth = 8)]
[JsonSerializable(typeof(MigrationFingerprint))]
internal sealed partial class MigrationFingerprintJsonContext : JsonSerializerContext;
