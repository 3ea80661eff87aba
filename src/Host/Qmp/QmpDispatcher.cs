using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>
/// Turns one request line into one reply line: parse, look the command up, validate its
/// arguments, run its handler. Every failure becomes a QMP error; nothing a client sends can
/// throw out of here. Blank lines get no reply (someone pressed Enter in ncat).
/// </summary>
public sealed class QmpDispatcher(QmpCommandTable commands)
{
    /// <summary>The reply line for <paramref name="line"/>, or null when it was blank.</summary>
    public async Task<byte[]?> HandleLineAsync(ReadOnlyMemory<byte> line, CancellationToken cancel)
    {
        if (IsBlank(line.Span)) return null;
        switch (QmpRequestParser.Parse(line))
        {
            case QmpParsed.Invalid invalid:
                return QmpWire.Reply(QmpReply.Generic(invalid.Description), invalid.Id);
            case QmpParsed.Request request:
                return QmpWire.Reply(await RunAsync(request, cancel), request.Id);
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>The reply to a line that exceeded the framing limit.</summary>
    public static byte[] TooLong(long length, int limit) =>
        QmpWire.Reply(QmpReply.Generic($"request line of {length} bytes exceeds the {limit}-byte limit"), null);

    private async Task<QmpReply> RunAsync(QmpParsed.Request request, CancellationToken cancel)
    {
        if (!commands.TryGet(request.Command, out var command))
            return new QmpReply.Error(QmpErrorClass.CommandNotFound, $"unknown command '{EchoedText.Clip(request.Command)}'");

        var (arguments, error) = QmpArguments.Validate(command.Name, request.Arguments, command.Arguments);
        if (error is not null) return QmpReply.Generic(error);
        if (command.Handler is null) return QmpReply.Generic($"'{command.Name}' is reserved but not implemented");

        try
        {
            return await command.Handler(arguments!, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // A handler bug must not take the connection (or the VM) down with it.
            return QmpReply.Generic($"'{command.Name}' failed: {e.Message}");
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;
}
