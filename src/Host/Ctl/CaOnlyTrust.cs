using Tern.Kvm;

namespace Tern.Host.Ctl;

/// <summary>
/// Trust locations for this process's TLS: .NET reads OpenSSL's <c>SSL_CERT_FILE</c> and
/// <c>SSL_CERT_DIR</c> from the native environment, which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not change.
/// </summary>
internal static class CaOnlyTrust
{
    /// <summary>
    /// Makes <paramref name="caFile"/> the whole system trust store of this process. The first
    /// certificate chain .NET builds (TLS builds one per connection before ControlClient's own check)
    /// loads the system store: about 150 root certificates, 50 ms of CPU, most of a short ctl call.
    /// ctl trusts only the cluster's CA (ControlClient checks the API's certificate against it), so
    /// nothing is lost. SSL_CERT_DIR names the file too: no directory, so none is scanned.
    /// </summary>
    public static void Use(string caFile)
    {
        string path = Path.GetFullPath(caFile);
        try
        {
            HostProcess.SetNativeEnvironment("SSL_CERT_FILE", path);
            HostProcess.SetNativeEnvironment("SSL_CERT_DIR", path);
        }
        catch (HostProcessException e)
        {
            throw new ControlApiException($"cannot set the TLS trust store to {caFile}: {e.Message}");
        }
    }
}
