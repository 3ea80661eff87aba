namespace Tern.Host.Node;

/// <summary>
/// <c>tern node</c>'s command line, checked: the host's name, the address its cluster member binds
/// (and advertises), the seeds to join (none: start a new cluster), the HTTP API's address, the
/// database connection string, the data directory and the image directories it adds to tern.host.image-dirs, and the directory of its TLS credentials.
/// </summary>
public sealed record NodeOptions(
    string Name,
    (string Host, int Port) Bind,
    IReadOnlyList<(string Host, int Port)> Seeds,
    (string Host, int Port)? Api,
    string? Database,
    string DataDirectory,
    string? ConfigFile,
    IReadOnlyList<string> ImageDirectories,
    string? TlsDirectory = null);
