using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Registry;
using Tern.Host.Api;
using Tern.Host.Api.Auth;

namespace Tern.Host.Tests.Api;

/// <summary>
/// The node's control API on a loopback port, behind its request guard, in front of an actor that
/// stands in for the cluster manager (a TestKit probe): a test sends a request, expects the command
/// the manager would get, answers it, and reads the HTTP answer. The image directory holds one
/// kernel, <see cref="Kernel"/>, so a create can pass the API's file checks.
/// </summary>
public sealed class ControlApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _images;

    public HttpClient Http { get; }
    public string Kernel => Path.Combine(_images, "kernel");

    /// <summary>What <c>tern ctl</c> takes to reach this API: <c>--api</c> and <c>--token</c>.</summary>
    public string[] CtlOptions { get; }

    private ControlApiHost(WebApplication app, string images, HttpClient http, string token) =>
        (_app, _images, Http, CtlOptions) = (app, images, http, ["--api", http.BaseAddress!.ToString(), "--token", token]);

    public static async Task<ControlApiHost> StartAsync(IActorRef manager)
    {
        string images = Directory.CreateTempSubdirectory("tern-api-images-").FullName;
        await File.WriteAllTextAsync(Path.Combine(images, "kernel"), "not a kernel: the API only checks that it is a file");
        var (token, entry) = ApiToken.Create(ApiRole.Operator);
        var tokens = new ApiTokenStore(manager, entry);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = ControlApi.MaxBodyBytes;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        // The guard names the API's address, known only once Kestrel has bound its port.
        RequestGuard? guard = null;
        app.Use((context, next) => guard!.InvokeAsync(context, next));
        new ControlApi(manager, TimeSpan.FromSeconds(10), tokens, new ImageDirectories([images])).Map(app);
        await app.StartAsync();

        var address = new Uri(app.Urls.Single());
        guard = new RequestGuard(tokens, ApiHostNames.For((address.Host, address.Port), []), "http");
        var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ControlApiHost(app, images, http, token);
    }

    /// <summary>A POST whose body is <paramref name="json"/> as given (the empty string: Content-Length 0), typed application/json as the guard requires.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
        Directory.Delete(_images, recursive: true);
    }
}
