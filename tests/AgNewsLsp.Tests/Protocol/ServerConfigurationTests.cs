using System.Text.Json;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol.Documents;
using Microsoft.Extensions.Configuration;
using StreamJsonRpc;

namespace AgNewsLsp.Tests.Protocol;

public class ServerConfigurationTests
{
    private static ServerOptions FromArgs(params string[] args) => ServerConfiguration.FromConfiguration(
        new ConfigurationBuilder().AddCommandLine(ServerHost.NormalizeArguments(args)).Build());

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
        var o = ServerConfiguration.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["port"] = "5007" }) // as AGNEWS_PORT would
            .AddCommandLine(ServerHost.NormalizeArguments(["--stdio"]))
            .Build());
        Assert.Null(o.Port);
        Assert.True(o.Stdio);
    }

    [Fact]
    public void Command_line_options_bind_case_insensitively()
    {
        var o = FromArgs("--modelPath", "/m", "--headpath=/h.bin", "--hoverUnit", "line", "--maxTextBytes", "2048", "--publishDiagnostics", "false");
        Assert.Equal("/m", o.ModelPath);
        Assert.Equal("/h.bin", o.HeadPath);
        Assert.Equal(HoverUnit.Line, o.HoverUnit);
        Assert.Equal(2048, o.MaxTextBytes);
        Assert.False(o.PublishDiagnostics);
    }

    [Theory]
    [InlineData("classify")]
    [InlineData("--port")]
    [InlineData("--stdio", "--port", "3")]
    public void Bad_arguments_are_rejected(params string[] args) =>
        Assert.Throws<ArgumentException>(() => ServerHost.NormalizeArguments(args));

    [Fact]
    public void Environment_variables_with_the_AGNEWS_prefix_bind()
    {
        Environment.SetEnvironmentVariable("AGNEWS_CACHEFOLDER", "/tmp/agnews-cache-test");
        try
        {
            var o = ServerConfiguration.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables("AGNEWS_").Build());
            Assert.Equal("/tmp/agnews-cache-test", o.CacheFolder);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AGNEWS_CACHEFOLDER", null);
        }
    }

    [Fact]
    public void InitializationOptions_override_host_options()
    {
        var host = new ServerOptions { ModelPath = "/host-model", MaxTokens = 128 };
        var init = JsonDocument.Parse("""{"modelPath":"/client-model","maxTokens":256,"hoverUnit":"line","unknown":{"nested":1},"dataFolder":null}""").RootElement;
        // a known option of the wrong shape is refused; unknown keys are the client's business
        Assert.Throws<LocalRpcException>(() => ServerConfiguration.WithInitializationOptions(host,
            JsonDocument.Parse("""{"maxTokens":{"n":1}}""").RootElement));
        var o = ServerConfiguration.WithInitializationOptions(host, init);
        Assert.Equal("/client-model", o.ModelPath);
        Assert.Equal(256, o.MaxTokens);
        Assert.Equal(HoverUnit.Line, o.HoverUnit);
        Assert.Null(o.DataFolder);
        Assert.Same(host, ServerConfiguration.WithInitializationOptions(host, null));
    }
}
