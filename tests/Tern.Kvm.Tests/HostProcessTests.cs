namespace Tern.Kvm.Tests;

/// <summary>The process-level calls other projects make through <see cref="HostProcess"/>.</summary>
public sealed class HostProcessTests
{
    [Fact]
    public void A_mask_of_077_makes_new_files_their_owner_s_alone()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tern-umask-{Guid.NewGuid():N}");
        uint before = HostProcess.SetFileModeMask(0b000_111_111);
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "f"), "x");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "f")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }
        finally
        {
            HostProcess.SetFileModeMask(before);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Exec_of_a_missing_file_returns_its_errno_and_the_process_goes_on()
    {
        Assert.Equal(2, HostProcess.Exec("/nonexistent/tern", ["node"])); // ENOENT
    }

    [Fact]
    public void A_native_environment_variable_that_cannot_be_set_is_refused_naming_it()
    {
        // setenv(3) refuses a name containing '=' with EINVAL.
        var e = Assert.Throws<HostProcessException>(() => HostProcess.SetNativeEnvironment("A=B", "x"));
        Assert.Equal(22, e.Errno);
        Assert.StartsWith("setenv A=B: ", e.Message);
    }
}
