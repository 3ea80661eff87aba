using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// The source's multifd data channels: extra sockets to the destination that carry the pages in
/// parallel, one sending thread per channel for each batch of work (pages split by
/// <see cref="ChannelPartition"/>). The main socket keeps the control sections.
/// </summary>
internal sealed class DataChannels : IDisposable
{
    private static readonly TimeSpan ProgressPeriod = TimeSpan.FromMilliseconds(100);
    private readonly Channel[] _channels;

    private sealed record Channel(Socket Socket, Stream Stream, MigrationStreamWriter Writer, List<PageRun> Runs);

    private DataChannels(Channel[] channels) => _channels = channels;

    /// <summary>Connects <paramref name="count"/> sockets (each with its own TLS handshake, if any) and introduces each as part of <paramref name="session"/>.</summary>
    public static DataChannels Open(int count, Func<MigrationConnection> connect, GuestMemory memory, Guid session)
    {
        var channels = new List<Channel>(count);
        try
        {
            for (int i = 1; i <= count; i++)
            {
                var connection = connect();
                var writer = new MigrationStreamWriter(connection.Stream, memory);
                channels.Add(new Channel(connection.Socket, connection.Stream, writer, []));
                writer.WriteHeader();
                writer.WriteChannel(session, count, i);
            }
            return new DataChannels([.. channels]);
        }
        catch
        {
            foreach (var c in channels) c.Stream.Dispose();
            throw;
        }
    }

    public long BytesWritten => _channels.Sum(c => c.Writer.BytesWritten);

    public RamTransferStats RamTotals => _channels.Aggregate(default(RamTransferStats), (sum, c) => sum + c.Writer.RamTotals);

    /// <summary>
    /// Sends <paramref name="runs"/> over the channels in parallel and returns when every channel has
    /// sent its share. Meanwhile <paramref name="progress"/> gets the guest bytes still unsent, every
    /// 100 ms, on the calling thread. The first channel error is rethrown as it was.
    /// </summary>
    public void Send(IEnumerable<PageRun> runs, BandwidthLimiter limiter, CancellationToken cancel, Action<ulong> progress)
    {
        foreach (var c in _channels) c.Runs.Clear();
        ChannelPartition.Split(runs, [.. _channels.Select(c => c.Runs)]);
        long remaining = 0;
        foreach (var c in _channels) remaining += (long)RunBatches.Bytes(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(c.Runs));

        var failures = new Exception?[_channels.Length];
        var threads = new Thread[_channels.Length];
        for (int i = 0; i < _channels.Length; i++)
        {
            int index = i;
            var channel = _channels[i];
            threads[i] = new Thread(() =>
            {
                try
                {
                    RunBatches.Send(channel.Writer, channel.Runs, limiter, cancel, bytes => Interlocked.Add(ref remaining, -(long)bytes));
                    channel.Writer.Flush();
                }
                catch (Exception e)
                {
                    failures[index] = e;
                    Abort(); // the others may be blocked on a destination that stopped reading
                }
            }) { Name = $"migration-send-{index + 1}", IsBackground = true };
            threads[i].Start();
        }
        foreach (var t in threads)
            while (!t.Join(ProgressPeriod)) progress((ulong)Math.Max(0, Interlocked.Read(ref remaining)));

        var failure = failures.FirstOrDefault(f => f is not null and not ObjectDisposedException) ?? failures.FirstOrDefault(f => f is not null);
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>Ends every data channel: the destination may apply the main socket's End once it has read these.</summary>
    public void End()
    {
        foreach (var c in _channels)
        {
            c.Writer.WriteEnd();
            c.Writer.Flush();
        }
    }

    /// <summary>Closes the sockets at once (wakes a thread blocked in a send); used on cancel and failure.</summary>
    public void Abort()
    {
        foreach (var c in _channels) c.Socket.Dispose();
    }

    public void Dispose()
    {
        foreach (var c in _channels) c.Stream.Dispose();
    }
}
