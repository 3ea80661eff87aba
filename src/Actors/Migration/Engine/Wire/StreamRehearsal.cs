using Tern.Devices.Config;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// Runs a header and configuration through the stream's writer and reader, so that a real migration
/// finds that code ready. Public for the VmActor's warm-up (MigrationWarmUp), which lives beside the actors.
/// </summary>
public static class StreamRehearsal
{
    public static void Setup(GuestMemory memory, MigrationFingerprint fingerprint)
    {
        using var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, memory);
        writer.WriteHeader();
        writer.WriteConfig(fingerprint);
        writer.WriteEnd();
        bytes.Position = 0;
        var reader = new MigrationStreamReader(bytes, memory);
        if (reader.ReadNext() is MigrationSection.Config c) c.Fingerprint.Differences(fingerprint);
        reader.ReadNext();
    }
}
