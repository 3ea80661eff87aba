using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Host.Standalone;

/// <summary>
/// The host side of `-serial`: stdout/stdin for `stdio`, a file for `file:PATH`. Input from stdin
/// is pumped into the guest by the machine.
/// </summary>
public sealed class ConsoleStreams : IDisposable
{
    private readonly Stream? _output;
    private readonly Stream? _input;

    private string? _createdFile;

    private ConsoleStreams(Stream? output, Stream? input)
    {
        _output = output;
        _input = input;
        Machine = new MachineConsole(output, input);
    }

    public MachineConsole Machine { get; }

    public static ConsoleStreams Open(SerialConfig serial) => serial.Kind switch
    {
        SerialKind.Stdio => new ConsoleStreams(Console.OpenStandardOutput(), Console.OpenStandardInput()),
        SerialKind.File => OpenFile(serial.Path!),
        _ => new ConsoleStreams(null, null),
    };

    private static ConsoleStreams OpenFile(string path)
    {
        bool existed = File.Exists(path);
        var streams = new ConsoleStreams(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1), null);
        if (!existed) streams._createdFile = path;
        return streams;
    }

    /// <summary>A VM that never started leaves nothing behind: removes the serial file if this run created it.</summary>
    public void DiscardCreatedFiles()
    {
        Dispose();
        if (_createdFile is not null) File.Delete(_createdFile);
    }

    public void Flush() => _output?.Flush();

    public void Dispose()
    {
        if (_output is FileStream f) f.Dispose();
    }
}
