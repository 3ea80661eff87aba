using System.Net.Http.Json;
using System.Text.Json;
using Tern.Host.Api;

namespace Tern.Host.Ctl;

/// <summary>A failed call: the API's error message and HTTP status, or why the API could not be reached (no status).</summary>
public sealed class ControlApiException(string message, int? status = null) : Exception(message)
{
    public int? Status { get; } = status;

    /// <summary>The VM is between hosts (409) or the manager is moving (503): worth asking again when following.</summary>
    public bool Passing => Status is 409 or 503;
}

/// <summary>
/// Calls a node's control API. Each call returns the response's JSON text (what <c>--json</c>
/// prints) or throws <see cref="ControlApiException"/> with the API's one-line error.
/// </summary>
public sealed class ControlClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public Task<string> GetAsync(string path, CancellationToken cancel = default) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancel);

    public Task<string> PostAsync(string path, object? body = null, CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: ApiJson.Options) }, cancel);

    public Task<string> DeleteAsync(string path, CancellationToken cancel = default) => SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), cancel);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, ApiJson.Options)!;

    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancel);
        }
        catch (HttpRequestException e)
        {
            throw new ControlApiException($"cannot reach the control API at {_http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new ControlApiException($"the control API at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        string text = await response.Content.ReadAsStringAsync(cancel);
        if (response.IsSuccessStatusCode) return text;
        throw new ControlApiException(ErrorMessage(text) ?? $"{(int)response.StatusCode} {response.ReasonPhrase}", (int)response.StatusCode);
    }

    private static string? ErrorMessage(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<ErrorResponse>(text, ApiJson.Options)?.Error?.Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
