namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// Why an operator command was refused; the HTTP API maps each to a status code. Hyperion sends the
/// number, so each keeps its value (4, once NotImplemented, is unused).
/// </summary>
public enum FailureKind { Invalid = 0, NotFound = 1, Conflict = 2, NoRoom = 3, Unavailable = 5 }
