namespace Tern.Kvm.Boot.Acpi.Aml;

/// <summary>
/// The compressed EISA id ASL's EISAID() produces: three upper-case letters packed 5 bits each
/// and four hex digits, stored so the bytes read "vendor hi, vendor lo, product hi, product lo".
/// </summary>
public static class EisaId
{
    public static uint Encode(string id)
    {
        bool valid = id.Length == 7
                     && id[..3].All(char.IsAsciiLetterUpper)
                     && id[3..].All(char.IsAsciiHexDigit);
        if (!valid) throw new ArgumentException($"invalid EISA id '{id}'");
        uint vendor = (uint)(((id[0] - '@') << 10) | ((id[1] - '@') << 5) | (id[2] - '@'));
        uint product = Convert.ToUInt32(id[3..], 16);
        // Big-endian vendor and product words, read as a little-endian dword.
        return ((vendor >> 8) & 0xff) | ((vendor & 0xff) << 8) | (((product >> 8) & 0xff) << 16) | ((product & 0xff) << 24);
    }
}
