using System.Text.Json.Nodes;
using Tern.Host.Qmp.Client;
using Xunit.Sdk;

namespace Tern.TestSupport.Qmp;

/// <summary>
/// The test-only side of <see cref="QmpClient"/>: a call that asserts its command succeeded, and
/// readers of error replies. They live here, not in the client, because the client is product code
/// (`tern demo` uses it) and must not depend on xunit.
/// </summary>
public static class QmpClientAssertions
{
    extension(QmpClient client)
    {
        /// <summary>Sends a request and asserts it returned (not an error).</summary>
        public JsonNode? Return(string command, JsonObject? arguments = null)
        {
            var reply = client.Execute(command, arguments);
            Assert.True(reply["return"] is not null, $"'{command}' failed: {reply.ToJsonString()}");
            return reply["return"];
        }
    }

    extension(QmpClient)
    {
        /// <summary>The error reply's class; fails the test when the reply is not an error.</summary>
        public static string ErrorClass(JsonNode reply) =>
            (string?)reply["error"]?["class"] ?? throw new XunitException($"expected an error, got {reply.ToJsonString()}");

        public static string ErrorDesc(JsonNode reply) => (string?)reply["error"]?["desc"] ?? "";
    }
}
