using System.Runtime.InteropServices;

namespace Tern.Host.Node;

/// <summary>The process's file creation mask.</summary>
internal static partial class Umask
{
    /// <summary>Files the node creates from now on (the SQLite journal, its data files) are its user's alone: mode 0600, directories 0700.</summary>
    public static void OwnerOnly() => Set(0b000_111_111); // 077

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Set(uint mask);
}
