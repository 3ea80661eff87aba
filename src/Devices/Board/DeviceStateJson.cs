using System.Text.Json.Serialization;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Net;
using Tern.Devices.Virtio.Pci;

namespace Tern.Devices.Board;

/// <summary>
/// Compile-time JSON for device states: the first save or restore happens while the guest is paused
/// for a migration, so it must not pay for reflection-based serializer setup.
/// </summary>
[JsonSerializable(typeof(LegacyState))]
[JsonSerializable(typeof(VirtioPciState))]
[JsonSerializable(typeof(VirtioBlockState))]
[JsonSerializable(typeof(VirtioNetState))]
internal sealed partial class DeviceStateJson : JsonSerializerContext;
