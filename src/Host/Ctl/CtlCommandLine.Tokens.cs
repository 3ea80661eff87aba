using System.CommandLine;
using Spectre.Console;
using Tern.Host.Api;

namespace Tern.Host.Ctl;

/// <summary><c>tern token create --role viewer|operator | list | revoke ID</c> (also <c>tern ctl token ...</c>): the cluster's API tokens.</summary>
public static partial class CtlCommandLine
{
    private static Command TokenVerb()
    {
        var token = new Command("token", "create, list and revoke the cluster's API tokens (operator only)");

        var role = new Option<string>("--role") { Required = true, Description = "viewer (reads) or operator (everything)" };
        role.AcceptOnlyFromAmong("viewer", "operator");
        token.Add(Verb("create", "create a token for every node's API; it is printed once, here", [role], async (c, p, json, cancel) =>
        {
            string text = await c.PostAsync(ApiRoutes.Tokens, new CreateTokenRequest(p.GetValue(role)), cancel);
            if (json)
            {
                Console.WriteLine(CtlText.Json(text));
                return;
            }
            var created = ControlClient.Read<TokenCreatedResponse>(text);
            Console.Error.WriteLine($"api token {CtlText.Printable(created.Id)} ({CtlText.Printable(created.Role)}) created; it is not shown again");
            Console.WriteLine(CtlText.Printable(created.Token));
        }));

        token.Add(Verb("list", "list the cluster's tokens: id, role, created", [], async (c, p, json, cancel) =>
            Show(json, await c.GetAsync(ApiRoutes.Tokens, cancel), text =>
            {
                var table = new Table().AddColumns("ID", "ROLE", "CREATED");
                foreach (var t in ControlClient.Read<TokenView[]>(text))
                    table.AddRow(Markup.Escape(CtlText.Printable(t.Id)), Markup.Escape(CtlText.Printable(t.Role)), $"{t.Created:yyyy-MM-dd HH:mm:ss}");
                AnsiConsole.Console.Write(table);
            })));

        var id = new Argument<string>("ID");
        token.Add(Verb("revoke", "revoke a token: no node accepts it any more", [id], async (c, p, json, cancel) =>
            PrintMessage(json, await c.DeleteAsync(ApiRoutes.Token(p.GetValue(id)!), cancel))));
        return token;
    }
}
