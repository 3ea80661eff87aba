using System.Text.RegularExpressions;

namespace Tern.Actors.Cluster.Registry;

/// <summary>The public part of a control API token: 12 lower-case hex digits, shown by <c>tern token list</c> and used to revoke it.</summary>
public static partial class ApiTokenIds
{
    public const int Length = 12;

    public static bool IsValid(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[0-9a-f]{12}$")]
    private static partial Regex IdPattern();
}
