using System.Buffers.Binary;
using System.Text;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// Rewrites the type names in Hyperion's bytes, as an earlier Tern would have written them: each
/// type manifest is a UTF-8 string after a 32-bit little-endian count of its bytes. Hyperion names a field's type only when
/// it may differ from the declared one, so not every move shows in every message.
/// </summary>
public static class HyperionTypeNames
{
    public static byte[] Rename(byte[] bytes, string from, string to, bool mustRename = true)
    {
        var output = new List<byte>(bytes.Length);
        int i = 0;
        while (i < bytes.Length)
        {
            if (i + 4 <= bytes.Length && BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i)) is var n && n > 0 && i + 4 + n <= bytes.Length
                && Encoding.UTF8.GetString(bytes, i + 4, n) is var name && name.Contains(from, StringComparison.Ordinal) && IsTypeName(name))
            {
                byte[] renamed = Encoding.UTF8.GetBytes(name.Replace(from, to, StringComparison.Ordinal));
                var length = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(length, renamed.Length);
                output.AddRange(length);
                output.AddRange(renamed);
                i += 4 + n;
                continue;
            }
            output.Add(bytes[i++]);
        }
        if (mustRename) Assert.NotEqual(bytes.Length, output.Count); // something was renamed
        return [.. output];
    }

    // "<>z__": the collection types the compiler makes for collection expressions.
    private static bool IsTypeName(string s) =>
        s.StartsWith("Tern.", StringComparison.Ordinal) || s.StartsWith("System.", StringComparison.Ordinal) || s.StartsWith("<>z__", StringComparison.Ordinal);
}
