using System.Text.Json.Serialization;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Net;
using Tern.Devices.Virtio.Pci;

namespace Tern.Devices.Board;

/// <summary>
/// Compile-time JSON for device states: the first save or restore happens while the guest is paused
/// for a migration, so it must not pay for reflection-based serializer setup. Strict, because the
/// bytes come from the network: a missing member, a null where the record has no null, an unknown
/// or repeated member, or deep nesting is a JsonException (a refused state), never a null that a
/// device's Restore would trip over.
/// </summary>
[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowDuplicateProperties = false,
    MaxDepth = 16)]
[JsonSerializable(typeof(LegacyState))]
[JsonSerializable(typeof(VirtioPciState))]
[JsonSerializable(typeof(VirtioBlockState))]
[JsonSerializable(typeof(VirtioNetState))]
internal sealed partial class DeviceStateJson : JsonSerializerContext;
