namespace Tern.TestSupport;

/// <summary>A test that needs root (to act as another user, or to make cgroups): skipped, with the reason shown, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public const string NotRoot = "needs root: only root acts as another user or makes cgroups";

    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess) Skip = NotRoot;
    }
}
