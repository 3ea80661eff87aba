using System.Text.Json;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>Watches a cluster migration through a node's control API (GET /v1/vms/NAME/migration).</summary>
public static class MigrationWatch
{
    /// <summary>Returns once the migration of <paramref name="vm"/> to <paramref name="to"/> is active and has sent more than <paramref name="bytes"/>.</summary>
    /// <param name="api">A client for the node's API (with its token); disposed here.</param>
    public static void WaitSending(HttpClient api, string vm, string to, ulong bytes, TimeSpan timeout)
    {
        using var http = api;
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var response = http.GetAsync($"/v1/vms/{vm}/migration").Result;
                last = $"{(int)response.StatusCode} {response.Content.ReadAsStringAsync().Result}";
                if (response.IsSuccessStatusCode
                    && JsonDocument.Parse(response.Content.ReadAsStringAsync().Result).RootElement is var report
                    && report.GetProperty("to").GetString() == to
                    && report.GetProperty("status").GetString() == "active"
                    && report.GetProperty("transferredBytes").GetUInt64() > bytes)
                    return;
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException or TaskCanceledException)
            {
                last = e.InnerException.Message;
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"the migration of {vm} to {to} sending {bytes} bytes within {timeout}; last: {last}");
    }
}
