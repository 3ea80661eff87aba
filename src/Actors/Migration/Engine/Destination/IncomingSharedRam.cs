using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Destination;

/// <summary>
/// The destination's answer to a SharedRam offer (sequence in <see cref="MigrationStreamFormat"/>):
/// declines when this side cannot take the source's RAM file (its own RAM is not shared, or the
/// connection is not a plain UNIX socket), refuses a size that differs, otherwise receives the
/// descriptor and maps it as this guest's RAM. Nothing is written to guest memory here or later:
/// the reader refuses Ram sections from then on.
/// </summary>
internal static class IncomingSharedRam
{
    /// <summary>True when the source's RAM is now this guest's RAM (and the answer sent); false when declined.</summary>
    public static bool Take(MigrationSection.SharedRam offer, Stream stream, Socket socket, bool tls, MigrationStreamReader reader,
        GuestMemory memory, TimeSpan timeout)
    {
        if (!memory.CanHandOver || tls || socket.AddressFamily != AddressFamily.Unix)
        {
            MigrationBackChannel.Write(stream, new MigrationReply.Ack(MigrationStreamFormat.SharedRamDeclined));
            return false;
        }
        if (offer.RamBytes != memory.TotalSize)
            throw new MigrationFailedException(
                $"the source's shared guest RAM is {offer.RamBytes} bytes ({offer.RamBytes >> 20} MiB), guest RAM here is {memory.TotalSize} bytes ({memory.TotalSize >> 20} MiB)");
        MigrationBackChannel.Write(stream, new MigrationReply.Ack(MigrationStreamFormat.SharedRamReady));
        try
        {
            RamHandover.Receive(socket.SafeHandle, memory, timeout);
        }
        catch (Exception e) when (e is GuestMemoryBackingException or Tern.Kvm.KvmException)
        {
            throw new MigrationFailedException(e.Message);
        }
        reader.RamHandedOver = true;
        MigrationBackChannel.Write(stream, new MigrationReply.Ack(MigrationStreamFormat.SharedRamMapped));
        return true;
    }
}
