using AgNewsLsp.IO;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Server.Hosting;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>Issue 9, item 7: the command line refuses bad input with a clear message and exit code, before loading a model.</summary>
public class CliHardeningTests
{
    private static (int Code, string Out, string Err) Run(string stdin, params string[] args) => Cli.CliRun.Run(stdin, args);

    /// <summary>The engine options and the command's free words of a command line, as the command line parses them.</summary>
    private static (AgNewsLsp.Server.Options.ServerOptions Options, string Command, IReadOnlyList<string> Words) Parsed(
        params string[] args)
    {
        (string Command, CommandInput Input)? reached = null;
        var root = CommandTree.Build((command, input, _) => { reached = (command, input); return Task.FromResult(0); });
        var result = root.Parse(CommandTree.WithEngineSpellings(args));
        Assert.Empty(result.Errors);
        result.Invoke();
        return (CommandTree.EngineOptionsOf(result, new Dictionary<string, string>()), reached!.Value.Command,
            reached.Value.Input.Positionals);
    }

    [Fact]
    public void Options_may_come_before_the_command()
    {
        var (options, command, words) = Parsed("--model", "X", "classify", "T");
        Assert.Equal(("X", "classify"), (options.ModelPath, command));
        Assert.Equal(["T"], words);
        (options, command, _) = Parsed("--head", "h", "model", "info", "--json");
        Assert.Equal(("h", "model info"), (options.HeadPath, command));
        (options, command, words) = Parsed("--max-tokens=9", "classify", "T", "--cache", "c", "--quiet");
        Assert.Equal((9, "c"), (options.MaxTokens, options.CacheFolder));
        Assert.Equal(["T"], words);
        // Any spelling the option table folds to the same letters, as before.
        (options, _, _) = Parsed("--maxTokens", "64", "classify", "T", "--CACHE_FOLDER=d");
        Assert.Equal((64, "d"), (options.MaxTokens, options.CacheFolder));
        // parsed, not rejected as an unknown command: the bad thread count is what is reported
        var (code, _, err) = Run("", "--threads", "0", "classify", "some text here");
        Assert.Equal(CommandLine.Usage, code);
        Assert.Contains("--threads", err);
    }

    [Fact]
    public void Threads_beyond_the_cores_are_a_usage_error()
    {
        var (code, output, err) = Run("", "classify", "--threads", "1000", "The match ended in a draw.");
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", output);
        Assert.Contains($"threads must be a whole number from 1 to {Environment.ProcessorCount}", err);
    }

    [Fact]
    public void Standard_input_with_NUL_bytes_is_refused_like_the_server_refuses_it()
    {
        var (code, output, err) = Run("Stocks rose\0 today on the market.", "classify", "-");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Equal("", output);
        Assert.Contains("NUL", err);
    }

    [Fact]
    public void Endless_standard_input_is_cut_off_at_the_text_limit()
    {
        var (code, output, err) = Run(new string('a', InputLimits.DefaultMaxTextBytes + 1), "classify", "-");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Equal("", output);
        Assert.Contains("too large", err);
    }

    [Fact]
    public void Empty_text_is_refused_without_a_label()
    {
        var (code, output, _) = Run("", "classify", "");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("train", "--data", "/dev/zero")]
    [InlineData("evaluate", "--data", "/dev/zero")]
    [InlineData("label", "/dev/zero")]
    public void Devices_are_refused_as_files(params string[] args)
    {
        var (code, _, err) = Run("", [.. args, "--quiet", "--cache", Path.Combine(Path.GetTempPath(), "agnews-cli-hardening")]);
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("not a regular file", err);
    }

    [Theory]
    [InlineData("99999")]
    [InlineData("-1")]
    public async Task Serve_with_a_port_out_of_range_is_a_usage_error(string port)
    {
        var code = await ServerHost.RunAsync(["serve", "--port", port], _ => throw new InvalidOperationException("no engine needed"));
        Assert.Equal(2, code);
    }
}
