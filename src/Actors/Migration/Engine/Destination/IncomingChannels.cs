using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Destination;

/// <summary>
/// The destination's multifd data channels: accepts the connections the main socket's Channel
/// section announced, checks that each belongs to this migration (session id, count, a unique
/// index), and reads each on its own thread, applying its pages into guest memory until its End.
/// Every byte is untrusted, as on the main socket.
/// </summary>
internal sealed class IncomingChannels : IDisposable
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private readonly List<(Stream Stream, MigrationStreamReader Reader, Thread Thread)> _channels = [];
    private readonly Action _onFailure;
    private Exception? _failure;

    private IncomingChannels(Action onFailure) => _onFailure = onFailure;

    /// <summary>The first data channel error, if any (the main socket's own error is then only its consequence).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public long BytesRead => _channels.Sum(c => c.Reader.BytesRead);

    public RamTransferStats RamTotals => _channels.Aggregate(default(RamTransferStats), (sum, c) => sum + c.Reader.RamTotals);

    /// <summary>
    /// Accepts and checks <paramref name="announced"/>.DataChannels connections, then starts reading
    /// them. <paramref name="onFailure"/> runs (on a channel's thread) when one fails, to wake the main reader.
    /// With <paramref name="tls"/> each connection's handshake comes first, as on the main socket.
    /// </summary>
    public static IncomingChannels Accept(Socket listener, MigrationSection.Channel announced, GuestMemory memory,
        UnverifiedPages ledger, Action onFailure, MigrationTls? tls, CancellationToken cancel)
    {
        var channels = new IncomingChannels(onFailure);
        try
        {
            var seen = new bool[announced.DataChannels + 1];
            for (int i = 0; i < announced.DataChannels; i++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(HelloTimeout);
                Socket socket;
                try
                {
                    socket = listener.AcceptAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    throw new MigrationStreamException($"data channel {i + 1} of {announced.DataChannels} did not connect within {HelloTimeout.TotalSeconds:F0} s");
                }
                socket.ReceiveTimeout = (int)HelloTimeout.TotalMilliseconds;
                Stream stream;
                try
                {
                    stream = MigrationConnection.Accept(socket, HelloTimeout, tls).Stream;
                }
                catch (MigrationRefusedException e)
                {
                    throw new MigrationStreamException($"data channel {i + 1} of {announced.DataChannels}: {e.Message}");
                }
                var reader = MigrationStreamReader.ForDataChannel(stream, memory, ledger);
                var thread = new Thread(() => channels.ReadToEnd(reader)) { IsBackground = true };
                channels._channels.Add((stream, reader, thread));
                var hello = (MigrationSection.Channel)reader.ReadNext();
                if (hello.Session != announced.Session || hello.DataChannels != announced.DataChannels)
                    throw new MigrationStreamException($"a data channel of another migration connected (session {hello.Session}, {hello.DataChannels} channels)");
                if (seen[hello.Index]) throw new MigrationStreamException($"data channel {hello.Index} connected twice");
                seen[hello.Index] = true;
                socket.ReceiveTimeout = 0; // from here silence is judged by the main socket
                thread.Name = $"migration-receive-{hello.Index}";
            }
            foreach (var c in channels._channels) c.Thread.Start();
            return channels;
        }
        catch
        {
            channels.Dispose();
            throw;
        }
    }

    private void ReadToEnd(MigrationStreamReader reader)
    {
        try
        {
            while (reader.ReadNext() is not MigrationSection.End)
            {
            }
        }
        catch (Exception e) // whatever a hostile stream provokes ends this migration, never the process
        {
            if (Interlocked.CompareExchange(ref _failure, e, null) is null) _onFailure();
        }
    }

    /// <summary>Returns once every channel has read its End; throws the first channel's error instead.</summary>
    public void WaitForEnd()
    {
        // The source ends its data channels before it sends the main End, so they end at once or never.
        var deadline = DateTime.UtcNow + HelloTimeout;
        foreach (var c in _channels)
            if (!c.Thread.Join(Max(deadline - DateTime.UtcNow, TimeSpan.Zero)))
                throw new MigrationStreamException($"the main stream ended but data channel {c.Thread.Name?.Split('-')[^1]} did not");
        if (Failure is { } f) throw new MigrationStreamException($"data channel: {f.Message}", f);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public void Dispose()
    {
        foreach (var c in _channels) c.Stream.Dispose();
        foreach (var c in _channels)
            if (c.Thread.IsAlive) c.Thread.Join();
    }
}
