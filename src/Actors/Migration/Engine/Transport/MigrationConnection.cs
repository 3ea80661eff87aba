using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>
/// One connection of a migration (the main one or a multifd data channel): its socket, and the
/// stream the migration stream format runs on. Without TLS that is the socket's own
/// <see cref="NetworkStream"/>, so pages still go from guest memory to <c>send</c> with no copy;
/// with TLS it is an <see cref="SslStream"/> over it, after a mutual handshake that happens first,
/// on every connection, before a byte of the stream format (<see cref="MigrationStreamFormat"/>).
/// A failed handshake is a <see cref="MigrationRefusedException"/> with a one-line reason.
/// </summary>
public sealed class MigrationConnection : IDisposable
{
    /// <summary>A TLS record of type handshake starts with this byte; anything else is not a TLS client.</summary>
    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>What a refused plain source may still send before it reads the refusal (a header and configuration are far less).</summary>
    private const int DrainLimit = 4 << 20;

    private MigrationConnection(Socket socket, Stream stream)
    {
        Socket = socket;
        Stream = stream;
    }

    /// <summary>Shut down or dispose it to wake a blocked read or write; timeouts set on it apply to the stream.</summary>
    public Socket Socket { get; }

    public Stream Stream { get; }

    /// <summary>The source's side: connects and, with <paramref name="tls"/>, completes the client handshake within <paramref name="timeout"/>.</summary>
    public static MigrationConnection Connect(MigrationEndpoint endpoint, TimeSpan timeout, MigrationTls? tls)
    {
        var socket = MigrationSockets.Connect(endpoint, timeout);
        var plain = new NetworkStream(socket, ownsSocket: true);
        return new MigrationConnection(socket, tls is null ? plain : SecureClient(plain, endpoint, timeout, tls));
    }

    /// <summary>
    /// The client handshake over a connected socket's stream, within <paramref name="timeout"/>;
    /// returns the TLS stream. On failure <paramref name="plain"/> is closed.
    /// </summary>
    public static Stream SecureClient(NetworkStream plain, MigrationEndpoint endpoint, TimeSpan timeout, MigrationTls tls)
    {
        var check = new PeerCheck();
        var secure = new SslStream(plain, leaveInnerStreamOpen: false);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            secure.AuthenticateAsClientAsync(tls.ClientOptions(check), cts.Token).GetAwaiter().GetResult();
            return secure;
        }
        catch (Exception e) when (IsHandshakeFailure(e))
        {
            secure.Dispose();
            string why = check.Refusal
                ?? (check.Ran ? Describe(e) : "the destination did not answer as a TLS server (is tls-creds set there?)");
            throw new MigrationRefusedException($"TLS handshake with {endpoint} failed: {why}");
        }
    }

    /// <summary>
    /// The destination's side, on a connection just accepted: a peer an abstract socket does not
    /// admit (<see cref="AbstractSocketPeers"/>) is told why and refused; with <paramref name="tls"/>, completes
    /// the server handshake within <paramref name="timeout"/>. A peer that does not start with a TLS
    /// handshake is told why in a back-channel Error frame, in plain text, which a Tern source
    /// without TLS shows as the destination's refusal.
    /// </summary>
    public static MigrationConnection Accept(Socket accepted, TimeSpan timeout, MigrationTls? tls)
    {
        var plain = new NetworkStream(accepted, ownsSocket: true);
        try
        {
            AbstractSocketPeers.Check(accepted);
        }
        catch (MigrationRefusedException e)
        {
            TellAndClose(accepted, plain, e.Message);
            throw;
        }
        if (tls is null) return new MigrationConnection(accepted, plain);
        if (!StartsWithTlsHandshake(accepted, timeout))
        {
            const string refusal = "this destination requires TLS (migrate-set-parameters tls-creds) and the source did not start a TLS handshake";
            TellAndClose(accepted, plain, refusal);
            throw new MigrationRefusedException(refusal);
        }
        var check = new PeerCheck();
        var secure = new SslStream(plain, leaveInnerStreamOpen: false);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            secure.AuthenticateAsServerAsync(tls.ServerOptions(check), cts.Token).GetAwaiter().GetResult();
            return new MigrationConnection(accepted, secure);
        }
        catch (Exception e) when (IsHandshakeFailure(e))
        {
            secure.Dispose();
            throw new MigrationRefusedException($"TLS handshake with the source failed: {check.Refusal ?? Describe(e)}");
        }
    }

    /// <summary>
    /// Sends the refusal, then reads what the source still sends until it hangs up (at most a
    /// second): closing with unread bytes would reset the connection and lose the refusal.
    /// </summary>
    internal static void TellAndClose(Socket socket, NetworkStream plain, string refusal)
    {
        try
        {
            plain.Write(MigrationBackChannel.Encode(new MigrationReply.Error(refusal)));
            socket.Shutdown(SocketShutdown.Send);
            socket.ReceiveTimeout = 1000;
            var sink = new byte[64 << 10];
            for (int total = 0; total < DrainLimit;)
            {
                int n = socket.Receive(sink);
                if (n == 0) break;
                total += n;
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Gone already, or silent: it has been told as far as it can be.
        }
        plain.Dispose();
    }

    /// <summary>Waits for the first byte without taking it; false when it is not a TLS handshake or never comes.</summary>
    private static bool StartsWithTlsHandshake(Socket socket, TimeSpan timeout)
    {
        Span<byte> first = stackalloc byte[1];
        try
        {
            return socket.Poll(timeout, SelectMode.SelectRead) && socket.Receive(first, SocketFlags.Peek) == 1 && first[0] == TlsHandshakeRecord;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsHandshakeFailure(Exception e) =>
        e is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException;

    private static string Describe(Exception e) => e is OperationCanceledException ? "timed out" : e.Message;

    public void Dispose() => Stream.Dispose();
}
