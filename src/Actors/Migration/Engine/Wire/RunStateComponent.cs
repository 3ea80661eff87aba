namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>The "vm/run" component: whether the guest was running on the source, so the destination matches it.</summary>
public static class RunStateComponent
{
    public const string Id = "vm/run";
    public const uint Version = 1;

    public static byte[] Encode(bool running) => [running ? (byte)1 : (byte)0];

    public static bool Decode(ReadOnlySpan<byte> data) =>
        data.Length == 1 && data[0] <= 1 ? data[0] == 1 : throw new MigrationStreamException($"vm/run state of {data.Length} bytes is not valid");
}
