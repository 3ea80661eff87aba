namespace Tern.Kvm.Tests.Boot.Support;

/// <summary>A fact that needs ACPICA's iasl (Debian: acpica-tools); skipped, with the reason shown, where it is missing.</summary>
public sealed class IaslFactAttribute : FactAttribute
{
    public const string IaslPath = "/usr/bin/iasl";

    public IaslFactAttribute()
    {
        if (!File.Exists(IaslPath)) Skip = $"{IaslPath} is not installed (apt-get install acpica-tools)";
    }
}
