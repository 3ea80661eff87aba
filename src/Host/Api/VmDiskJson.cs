using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Api;

/// <summary>A disk in the API's JSON: a bare path (read-only) or <c>{"path":"...","writable":true}</c>; written as the object.</summary>
public sealed class VmDiskJson : JsonConverter<VmDisk>
{
    internal sealed record Shape(string? Path, bool Writable);

    public override VmDisk Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new VmDisk(reader.GetString()!);
        var shape = JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<Shape>)options.GetTypeInfo(typeof(Shape))) ?? throw new JsonException();
        return new VmDisk(shape.Path ?? "", shape.Writable);
    }

    public override void Write(Utf8JsonWriter writer, VmDisk value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, new Shape(value.Path, value.Writable), (JsonTypeInfo<Shape>)options.GetTypeInfo(typeof(Shape)));
}
