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
public sealed class ControlClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="token">The bearer token sent with every request (null: none, and the API answers 401).</param>
    /// <param name="caFile">For an https API, the CA certificate its certificate must chain to (null: the system's trust store).</param>
    public ControlClient(Uri baseAddress, string? token, string? caFile = null)
    {
        _http = new HttpClient(Handler(caFile, baseAddress.Host)) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    private static HttpClientHandler Handler(string? caFile, string host)
    {
        var handler = new HttpClientHandler();
        if (caFile is null) return handler;
        var authorities = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ControlApiException($"cannot read the CA certificate {caFile}: {e.Message}");
        }
        // The node's certificate names its address; it must chain to the cluster's CA, which is not in the system store.
        handler.ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            Tern.Actors.Security.TlsCredentials.ChainsTo(certificate, authorities, host.Trim('[', ']'));
        return handler;
    }

    public Task<string> GetAsync(string path, CancellationToken cancel = default) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancel);

    /// <summary>A command: its body is JSON even when it says nothing (<c>{}</c>), as the API requires of every command.</summary>
    public Task<string> PostAsync(string path, object? body = null, CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) }, cancel);

    public Task<string> DeleteAsync(string path, CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, path) { Content = Json(null) }, cancel);

    private static JsonContent Json(object? body) => body is null
        ? JsonContent.Create(new Dictionary<string, string>(), ApiJson.Info<Dictionary<string, string>>())
        : JsonContent.Create(body, ApiJson.Options.GetTypeInfo(body.GetType()));

    /// <summary>The API's JSON read as <typeparamref name="T"/>; an answer of another shape is one <see cref="ControlApiException"/> line, not a stack trace.</summary>
    public static T Read<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ApiJson.Info<T>()) ?? throw new JsonException();
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            throw new ControlApiException("the control API answered with JSON of an unexpected shape");
        }
    }

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
            return JsonSerializer.Deserialize(text, ApiJson.Info<ErrorResponse>())?.Error?.Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
