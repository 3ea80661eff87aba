using System.Net.Sockets;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Destination;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>How one case ended on the incoming side.</summary>
public sealed record FuzzOutcome(MigrationInfo? Info, GuestAfterMigration? Guest, bool Restored, bool Resumed, Exception? Escaped, bool Hung);

/// <summary>
/// The real incoming side, fed one stream at a time: an <see cref="IncomingReceiver"/> on its own
/// thread accepts a UNIX-socket connection, exactly as behind `-incoming unix:`, and restores into
/// one destination <see cref="Machine"/> built once from the corpus configuration (never run).
/// The test plays the source (<see cref="StreamPlayer"/>) and waits, at most a timeout, for the verdict.
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
        _endpoint = new MigrationEndpoint(MigrationTransport.Unix, Path.Combine(_dir, "incoming.sock"));
        // Built as `-incoming` builds it: the disk's image lock is taken only at a switch-over.
        _machine = Machine.Create(config with { IncomingEndpoint = _endpoint }, new MachineConsole(null, null));
        _destination = new FuzzDestination(_machine);
        _own = MigrationFingerprint.From(config);
        _listener = MigrationSockets.Listen(_endpoint);
    }

    public Machine Machine => _machine;

    /// <summary>The states the last accepted case restored.</summary>
    public IReadOnlyList<ComponentState>? LastRestored => _destination.Restored;

    /// <param name="hangUpAtResume">The source hangs up right after its commit, before the destination's last answer.</param>
    public FuzzOutcome Run(byte[] stream, TimeSpan timeout, bool hangUpAtResume = false)
    {
        _destination.StartCase();
        string? ignored = null;
        var receiver = new IncomingReceiver(_listener, _destination, _own, _ => { }, line =>
        {
            // A damaged stream header makes the receiver wait for the real source: this case ends
            // with a connection that brings a header and nothing more.
            ignored = line;
            EndWithHeaderOnly();
        }, CancellationToken.None);
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

        using var source = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        source.Connect(MigrationSockets.ToEndPoint(_endpoint));
        if (hangUpAtResume) _destination.AtResume = () => source.Shutdown(SocketShutdown.Both);
        StreamPlayer.Play(source, stream, timeout);
        bool finished = thread.Join(timeout);
        if (!finished)
        {
            source.Dispose(); // wakes the receiver so the next case can use the machine
            thread.Join(timeout);
        }
        var info = result?.Info;
        if (ignored is not null && info is not null) info = info with { ErrorDesc = ignored };
        return new FuzzOutcome(info, result?.Guest, _destination.Restored is not null, _destination.Resumed, escaped, !finished);
    }

    private void EndWithHeaderOnly()
    {
        using var late = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        late.Connect(MigrationSockets.ToEndPoint(_endpoint));
        late.Send([.. MigrationStreamFormat.Magic, .. BitConverter.GetBytes(MigrationStreamFormat.FormatVersion)]);
    }

    public void Dispose()
    {
        MigrationSockets.CloseListener(_listener, _endpoint);
        _machine.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
