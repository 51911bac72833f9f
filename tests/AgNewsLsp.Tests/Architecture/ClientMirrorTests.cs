using System.Reflection;
using System.Text.RegularExpressions;
using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Handlers;
using AgNewsLsp.Settings;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Architecture;

/// <summary>
/// The extension mirrors some of the server's names and values in TypeScript (client-vscode/src/lib/protocol.ts and
/// settings.ts). Nothing generates them, so each mirror is checked here against the C# it copies: a change on one
/// side fails until the other follows.
/// </summary>
public class ClientMirrorTests
{
    private static readonly string ClientLib = FindClientLib();

    private static string FindClientLib()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgNewsLsp.sln"))) return Path.Combine(dir.FullName, "client-vscode", "src", "lib");
        throw new DirectoryNotFoundException("the repository (AgNewsLsp.sln) above " + AppContext.BaseDirectory);
    }

    private static string Protocol => File.ReadAllText(Path.Combine(ClientLib, "protocol.ts"));
    private static string Settings => File.ReadAllText(Path.Combine(ClientLib, "settings.ts"));

    /// <summary>The quoted strings of a TypeScript `export const NAME ... = [...]` or `{ ... }` declaration.</summary>
    private static string[] Strings(string source, string name)
    {
        var start = source.IndexOf($"export const {name}", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{name} is not declared");
        var open = source.IndexOfAny(['[', '{'], source.IndexOf('=', start));
        var close = source.IndexOf(source[open] == '[' ? "];" : "} as const", open, StringComparison.Ordinal);
        return Regex.Matches(source[open..close], "'([^']*)'").Select(m => m.Groups[1].Value).ToArray();
    }

    [Fact]
    public void Error_codes_match()
    {
        var declared = Regex.Matches(Protocol[Protocol.IndexOf("export const ErrorCodes", StringComparison.Ordinal)..], @"(\w+): (-\d+)")
            .TakeWhile(m => m.Index < Protocol.Length).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
        var server = new Dictionary<string, int>
        {
            ["busy"] = ErrorCodes.Busy, ["notInitialized"] = ErrorCodes.ServerNotInitialized, ["badInput"] = ErrorCodes.BadInput,
            ["unauthorized"] = ErrorCodes.Unauthorized, ["invalidParams"] = ErrorCodes.InvalidParams,
            ["requestCancelled"] = ErrorCodes.RequestCancelled,
        };
        foreach (var (name, code) in server)
            Assert.True(declared.TryGetValue(name, out var got) && got == code, $"ErrorCodes.{name}: {code} on the server");
    }

    [Fact]
    public void Poolings_head_kinds_hover_units_and_folder_options_match()
    {
        Assert.Equal(SettingNames.All<Pooling>(), Strings(Protocol, "POOLINGS"));
        Assert.Equal(HeadKinds.Names.Order(), Strings(Protocol, "HEAD_KINDS").Order());
        Assert.Equal([TextUnit.Paragraph.Name(), TextUnit.Line.Name()], Strings(Protocol, "HOVER_UNITS"));
        Assert.Equal([TextUnit.Document.Name(), TextUnit.Paragraph.Name()], Strings(Protocol, "LABEL_FOLDER_UNITS"));
        Assert.Equal(SettingNames.All<FolderOutputFormat>(), Strings(Protocol, "LABEL_FOLDER_FORMATS"));
        Assert.Contains($"DEFAULT_LABEL_FOLDER_INCLUDE = '{FileGlobs.DefaultInclude}'", Protocol);
    }

    [Fact]
    public void Methods_and_commands_are_the_servers()
    {
        var agnewsMethods = IRequestHandler.All.Select(h => h.Method).Where(m => m.StartsWith("agnews/", StringComparison.Ordinal)).Order();
        Assert.Equal(agnewsMethods, Strings(Protocol, "Methods").Order());
        Assert.Equal(IRequestHandler.All.Select(h => h.Command).OfType<string>().Order(), Strings(Protocol, "SERVER_COMMANDS").Order());
    }

    [Fact]
    public void Server_defaults_quoted_in_setting_descriptions_are_the_servers()
    {
        // Each setting's entry runs from its key to the next key.
        var entries = Regex.Split(Settings, @"(?=key: ')").Where(e => e.StartsWith("key: '", StringComparison.Ordinal))
            .ToDictionary(e => e[6..e.IndexOf('\'', 6)]);
        var quoted = entries.Select(e => (e.Key, Match: Regex.Match(e.Value, @"the server\\'s default, `([^`]+)`")))
            .Where(e => e.Match.Success).ToDictionary(e => e.Key, e => e.Match.Groups[1].Value);
        Assert.Equal(HeadKinds.Default.Name(), quoted["train.headKind"]);
        Assert.Equal(Poolings.Default.Name(), quoted["train.pooling"]);
        var epochs = Regex.Match(Settings, @"its layers\\' epochs, (\d+) by default");
        Assert.True(epochs.Success, "train.maxEpochs names the top-layer epochs' default");
        Assert.Equal(TrainingSettings.DefaultTopLayerEpochs, int.Parse(epochs.Groups[1].Value));
        var passes = Regex.Match(entries["train.maxPasses"], @"the server\\'s default, (\d+)\.");
        Assert.True(passes.Success, "train.maxPasses names the solver's default passes");
        Assert.Equal(TrainingSettings.DefaultMaxPasses, int.Parse(passes.Groups[1].Value));
    }
}
