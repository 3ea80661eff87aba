using System.Net.Sockets;
using Tern.Actors.Migration;
using Tern.Actors.Migration.Destination;
using Tern.Actors.Migration.Source;
using Tern.Actors.Migration.Transport;
using Tern.Actors.Migration.Wire;
using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>How one case ended on the incoming side.</summary>
public sealed record FuzzOutcome(MigrationInfo? Info, GuestAfterMigration? Guest, bool Restored, bool Resumed, Exception? Escaped, bool Hung);

/// <summary>
/// The real incoming side, fed one stream at a time: an <see cref="IncomingReceiver"/> on its own
/// thread accepts a UNIX-socket connection, exactly as behind `-incoming unix:`, and restores into
/// one destination <see cref="Machine"/> built once from the corpus configuration (never run).
/// The test plays the source: it writes the stream, closes its sending side and waits.
/// </summary>
public sealed class IncomingFuzzTarget : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tern-fuzz-dst-").FullName;
    private readonly MigrationEndpoint _endpoint;
    private readonly Socket _listener;
    private readonly Machine _machine;
    private readonly FuzzDestination _destination;
    private readonly MigrationFingerprint _own;

    public IncomingFuzzTarget(VmConfig config)
    {
        _machine = Machine.Create(config, new MachineConsole(null, null));
        _destination = new FuzzDestination(_machine);
        _own = MigrationFingerprint.From(config);
        _endpoint = new MigrationEndpoint(MigrationTransport.Unix, Path.Combine(_dir, "incoming.sock"));
        _listener = MigrationSockets.Listen(_endpoint);
    }

    public Machine Machine => _machine;

    /// <summary>The states the last accepted case restored.</summary>
    public IReadOnlyList<ComponentState>? LastRestored => _destination.Restored;

    public FuzzOutcome Run(byte[] stream, TimeSpan timeout)
    {
        _destination.StartCase();
        var receiver = new IncomingReceiver(_listener, _destination, _own, _ => { }, CancellationToken.None);
        (MigrationInfo Info, GuestAfterMigration Guest)? result = null;
        Exception? escaped = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = receiver.Run();
            }
            catch (Exception e)
            {
                escaped = e; // anything the receiver lets out would end the destination process
            }
        }) { IsBackground = true, Name = "fuzz-incoming" };
        thread.Start();

        using var source = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            SendTimeout = (int)timeout.TotalMilliseconds, // a receiver that stops reading must not hang the test
        };
        source.Connect(MigrationSockets.ToEndPoint(_endpoint));
        Send(source, stream);
        bool finished = thread.Join(timeout);
        if (!finished)
        {
            source.Dispose(); // wakes the receiver so the next case can use the machine
            thread.Join(timeout);
        }
        return new FuzzOutcome(result?.Info, result?.Guest, _destination.Restored is not null, _destination.Resumed, escaped, !finished);
    }

    /// <summary>
    /// Plays the source: sends the stream, but holds back whatever follows a well-framed End (the
    /// commit frame) until the receiver acknowledges the restored state, as a real source does;
    /// sent earlier, it would be taken as stream bytes. Then ends the stream as a source that hangs up.
    /// </summary>
    private static void Send(Socket source, byte[] stream)
    {
        int commitAt = StreamLayout.TryParse(stream)?.TrailerStart ?? stream.Length;
        try
        {
            source.Send(stream.AsSpan(0, commitAt));
            if (commitAt < stream.Length && AwaitRestoredAck(source)) source.Send(stream.AsSpan(commitAt));
            source.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The receiver refused and closed before reading it all.
        }
    }

    /// <summary>Reads the receiver's replies until it acknowledges the restored state (true) or stops answering.</summary>
    private static bool AwaitRestoredAck(Socket source)
    {
        using var replies = new NetworkStream(source, ownsSocket: false);
        source.ReceiveTimeout = source.SendTimeout;
        try
        {
            while (true)
                if (MigrationBackChannel.Read(replies) is MigrationReply.Ack { Seq: PrecopySender.RestoredSeq }) return true;
        }
        catch (Exception e) when (e is MigrationStreamException or IOException)
        {
            return false; // it refused: an Error frame, then the end
        }
    }

    public void Dispose()
    {
        MigrationSockets.CloseListener(_listener, _endpoint);
        _machine.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
