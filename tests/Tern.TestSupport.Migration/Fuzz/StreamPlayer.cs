using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>
/// Plays the source of a (possibly mutated) recorded stream into a connected destination socket.
/// Whatever follows a well-framed End (the recorded commit frame) is held back until the
/// destination acknowledges the restored state, as a real source does: sent earlier, it would be
/// taken as stream bytes. Then the stream ends, and the replies are read until the destination
/// closes, so that it reports what it found wrong rather than a connection reset.
/// </summary>
public static class StreamPlayer
{
    /// <param name="timeout">For each blocking send or receive: a destination that stops reading must not hang the caller.</param>
    public static void Play(Socket destination, byte[] stream, TimeSpan timeout)
    {
        destination.SendTimeout = destination.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        int commitAt = StreamLayout.TryParse(stream)?.TrailerStart ?? stream.Length;
        try
        {
            destination.Send(stream.AsSpan(0, commitAt));
            if (commitAt < stream.Length && AwaitRestoredAck(destination)) destination.Send(stream.AsSpan(commitAt));
            destination.Shutdown(SocketShutdown.Send);
            var rest = new byte[4096];
            while (destination.Receive(rest) > 0) { }
        }
        catch (SocketException)
        {
            // The destination refused and closed before reading it all.
        }
    }

    /// <summary>Reads the destination's replies until it acknowledges the restored state (true) or stops answering.</summary>
    private static bool AwaitRestoredAck(Socket destination)
    {
        using var replies = new NetworkStream(destination, ownsSocket: false);
        try
        {
            while (true)
                if (MigrationBackChannel.Read(replies) is MigrationReply.Ack { Seq: MigrationStreamFormat.RestoredSeq }) return true;
        }
        catch (Exception e) when (e is MigrationStreamException or IOException)
        {
            return false; // it refused: an Error frame, then the end
        }
    }
}
