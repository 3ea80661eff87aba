using System.Net.Sockets;

namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>
/// A UNIX-socket man in the middle for one real migration: the source connects here, every byte is
/// passed on to the real destination and the source-to-destination direction is recorded verbatim
/// (header, sections, page data and the source's back-channel commit, which travels that way too).
/// </summary>
public sealed class RecordingProxy : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly MemoryStream _forward = new();
    private readonly Thread _thread;
    private Exception? _failure;

    public RecordingProxy(string listenPath, string destinationPath)
    {
        _listener.Bind(new UnixDomainSocketEndPoint(listenPath));
        _listener.Listen(1);
        _thread = new Thread(() => Relay(destinationPath)) { IsBackground = true, Name = "recording-proxy" };
        _thread.Start();
    }

    /// <summary>Waits until both directions closed; returns what the source sent.</summary>
    public byte[] Recorded(TimeSpan timeout)
    {
        if (!_thread.Join(timeout)) throw new TimeoutException("the recorded migration did not end");
        if (_failure is not null) throw new InvalidOperationException("the recording proxy failed", _failure);
        return _forward.ToArray();
    }

    private void Relay(string destinationPath)
    {
        try
        {
            using var source = _listener.Accept();
            using var destination = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            destination.Connect(new UnixDomainSocketEndPoint(destinationPath));
            var back = new Thread(() => Pump(destination, source, null)) { IsBackground = true };
            back.Start();
            Pump(source, destination, _forward);
            back.Join();
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    /// <summary>Copies until <paramref name="from"/> ends or fails, then passes the end on.</summary>
    private static void Pump(Socket from, Socket to, MemoryStream? record)
    {
        var buffer = new byte[1 << 20];
        try
        {
            int n;
            while ((n = from.Receive(buffer)) > 0)
            {
                record?.Write(buffer, 0, n);
                to.Send(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
            // One side hung up abruptly; the migration itself reports it.
        }
        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already closed.
        }
    }

    public void Dispose() => _listener.Dispose();
}
