using Spectre.Console;

namespace Tern.Host.Tests.Ctl;

/// <summary>A table <c>tern ctl</c> draws, rendered wide enough for no cell to wrap and read back as rows of cells (the header first).</summary>
public static class TableText
{
    public static IReadOnlyList<string[]> Rows(Action<IAnsiConsole> draw)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 400;
        draw(console);
        return text.ToString().Split('\n')
            .Where(line => line.StartsWith('│'))
            .Select(line => line.Trim().Trim('│').Split('│').Select(cell => cell.Trim()).ToArray())
            .ToArray();
    }
}
