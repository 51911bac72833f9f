using AgNewsLsp.Text;
using System.Text.Json;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol.Documents;
using StreamJsonRpc;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;

namespace AgNewsLsp.Tests.Protocol;

public class ServerConfigurationTests
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    private static ServerOptions FromArgs(params string[] args) => ServerConfiguration.FromArguments(args, NoEnvironment);

    [Fact]
    public void Stdio_is_the_default_and_port_switches_to_tcp()
    {
        Assert.True(FromArgs().Stdio);
        Assert.Null(FromArgs("--stdio").Port);
        var tcp = FromArgs("--port", "5007");
        Assert.Equal(5007, tcp.Port);
        Assert.False(tcp.Stdio);
    }

    [Fact]
    public void An_explicit_stdio_wins_over_a_port_from_the_environment()
    {
        var o = ServerConfiguration.FromArguments(["--stdio"], new Dictionary<string, string> { ["AGNEWS_PORT"] = "5007" });
        Assert.Equal(5007, ServerConfiguration.FromArguments([], new Dictionary<string, string> { ["AGNEWS_PORT"] = "5007" }).Port);
        Assert.Null(o.Port);
        Assert.True(o.Stdio);
    }

    [Fact]
    public void Command_line_options_bind_case_insensitively()
    {
        var o = FromArgs("--modelPath", "/m", "--headpath=/h.bin", "--hoverUnit", "line", "--maxTextBytes", "2048",
            "--publishDiagnostics", "false");
        Assert.Equal("/m", o.ModelPath);
        Assert.Equal("/h.bin", o.HeadPath);
        Assert.Equal(TextUnit.Line, o.HoverUnit);
        Assert.Equal(2048, o.MaxTextBytes);
        Assert.False(o.PublishDiagnostics);
    }

    [Theory]
    [InlineData("classify")]
    [InlineData("--port")]
    [InlineData("--stdio", "--port", "3")]
    [InlineData("--maxTokens", "2")]
    [InlineData("--hover-unit", "document")]
    [InlineData("--port", "70000")]
    public void Bad_arguments_are_rejected(params string[] args) =>
        Assert.Throws<ArgumentException>(() => ServerConfiguration.FromArguments(args, NoEnvironment));

    [Fact]
    public void Environment_variables_with_the_AGNEWS_prefix_bind()
    {
        var o = ServerConfiguration.FromArguments([],
            new Dictionary<string, string> { ["agnews_cacheFolder"] = "/tmp/agnews-cache-test", ["AGNEWS_MAXTOKENS"] = "64" });
        Assert.Equal("/tmp/agnews-cache-test", o.CacheFolder);
        Assert.Equal(64, o.MaxTokens);
    }

    [Fact]
    public void InitializationOptions_override_host_options()
    {
        var host = new ServerOptions { ModelPath = "/host-model", MaxTokens = 128 };
        var init = JsonDocument.Parse(
            """{"modelPath":"/client-model","maxTokens":256,"hoverUnit":"line","unknown":{"nested":1},"dataFolder":null}""").RootElement;
        // a known option of the wrong shape is refused; unknown keys are the client's business
        Assert.Throws<ArgumentException>(() => OptionTable.WithInitializationOptions(host,
            JsonDocument.Parse("""{"maxTokens":{"n":1}}""").RootElement));
        var o = OptionTable.WithInitializationOptions(host, init);
        Assert.Equal("/client-model", o.ModelPath);
        Assert.Equal(256, o.MaxTokens);
        Assert.Equal(TextUnit.Line, o.HoverUnit);
        Assert.Null(o.DataFolder);
        Assert.Same(host, OptionTable.WithInitializationOptions(host, null));
    }

    [Fact]
    public void Every_spelling_of_a_name_binds_the_same_setting()
    {
        foreach (var spelling in new[] { "--max-tokens", "--maxTokens", "--maxtokens", "--MAX-TOKENS" })
            Assert.Equal(64, FromArgs(spelling, "64").MaxTokens);
        Assert.Equal("/m", FromArgs("--model", "/m").ModelPath); // an alias from the table
        Assert.Equal(AgNewsLsp.Settings.HeadKind.Linear, FromArgs("--head-kind", "linear").HeadKind);
    }

    [Fact]
    public void The_usage_text_lists_every_setting_once()
    {
        var usage = ServerHost.Usage;
        foreach (var row in OptionTable.Rows)
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(usage,
                @"^\s+" + System.Text.RegularExpressions.Regex.Escape(row.Flag) + @"\b(?!-)",
                System.Text.RegularExpressions.RegexOptions.Multiline));
    }

    [Fact]
    public void Only_engine_settings_make_a_new_engine()
    {
        var a = new ServerOptions();
        Assert.Equal(OptionTable.EngineKey(a), OptionTable.EngineKey(a with
        {
            HoverUnit = TextUnit.Line, Pooling = AgNewsLsp.Settings.Pooling.Mean, HeadKind = AgNewsLsp.Settings.HeadKind.Mlp
        }));
        Assert.NotEqual(OptionTable.EngineKey(a), OptionTable.EngineKey(a with { MaxTokens = 64 }));
        Assert.Equal(OptionTable.EngineKey(a with { HeadPath = "/tmp/x/../a.json" }),
            OptionTable.EngineKey(a with { HeadPath = "/tmp/a.json" }));
    }

    [Fact]
    public void A_client_may_set_only_what_the_table_allows()
    {
        var init = JsonDocument.Parse("""{"maxDocumentChars":1,"logLevel":"Trace","headKind":"mlp","pooling":"mean"}""").RootElement;
        var o = OptionTable.WithInitializationOptions(new ServerOptions(), init);
        Assert.Equal(new ServerOptions().MaxDocumentChars, o.MaxDocumentChars);
        Assert.Equal(AgNewsLsp.Settings.HeadKind.Mlp, o.HeadKind);
        Assert.Equal(AgNewsLsp.Settings.Pooling.Mean, o.Pooling);
    }
}
