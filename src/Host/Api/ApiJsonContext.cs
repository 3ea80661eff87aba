using System.Text.Json.Serialization;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Node;

namespace Tern.Host.Api;

/// <summary>
/// Compile-time JSON metadata for every type <c>tern ctl</c> and <c>tern token</c> send, read or
/// keep (ctl.json): they run in the native executable, where reflection-based System.Text.Json is
/// off. The names and converters come from <see cref="ApiJson.Options"/>, not from here.
/// </summary>
[JsonSerializable(typeof(HostView))]
[JsonSerializable(typeof(HostView[]))]
[JsonSerializable(typeof(VmView[]))]
[JsonSerializable(typeof(MigrationReport))]
[JsonSerializable(typeof(ClusterEventRecord[]))]
[JsonSerializable(typeof(ConsoleResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CreateVmRequest))]
[JsonSerializable(typeof(MigrateRequest))]
[JsonSerializable(typeof(ProtectionRequest))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(TokenCreatedResponse))]
[JsonSerializable(typeof(TokenView[]))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(VmDiskJson.Shape))]
[JsonSerializable(typeof(NodeCredentials.CtlFile))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
