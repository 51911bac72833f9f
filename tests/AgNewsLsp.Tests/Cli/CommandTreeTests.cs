using System.Diagnostics;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Cli;

/// <summary>
/// The command line on System.CommandLine: each command's --help, "did you mean" for a mistyped command or option,
/// response files, shell completion, and the exit codes and spellings of the hand-written parser it replaced.
/// Nothing here loads a model.
/// </summary>
public class CommandTreeTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run("", args);

    public static TheoryData<string[], string[]> Commands => new()
    {
        { ["classify"], ["TEXT"] },
        { ["label"], ["--paragraphs", "--recursive", "--include", "--exclude", "--format", "--out", "--dataset", "--no-dataset"] },
        { ["suggest"], ["FILE", "--dataset", "--no-dataset", "--max"] },
        { ["teach"], ["FILE", "--dataset", "--out", "--data"] },
        { ["train"], ["--data", "--head-kind", "--pooling", "--max-epochs", "--epochs", "--max-passes", "--seed", "--validation-fraction", "--limit",
            "--skip-bad-rows", "--out"] },
        { ["evaluate"], ["--data", "--limit", "--skip-bad-rows"] },
        { ["embed"], ["--out", "--pooling", "--lines", "--limit", "--skip-bad-rows"] },
        { ["model", "info"], ["--json"] },
        { ["completion"], ["bash", "zsh", "fish", "pwsh"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_its_own_help_with_its_options_and_the_engine_options(string[] command, string[] options)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            var (code, output, err) = Run([.. command, help]);
            Assert.True(code == 0, err);
            // The usage line names the program as it was started (agnews; in this test, the test host).
            Assert.Matches($@"Usage:\s+\S+ {string.Join(' ', command)}\b", output);
            foreach (var option in options) Assert.Contains(option, output);
            if (command[0] != "completion")
                foreach (var (row, _) in CommandTree.EngineOptions) Assert.Contains(row.Flag, output);
        }
    }

    [Fact]
    public void Help_shows_defaults_from_the_same_constants_the_engine_uses()
    {
        var output = Run("train", "--help").Out;
        Assert.Contains($"(default {HeadKinds.Default.Name()})", output);
        Assert.Contains($"(default {TrainingSettings.DefaultMaxPasses})", output);
        var maxTokens = OptionTable.Rows.Single(r => r.Property.Name == nameof(ServerOptions.MaxTokens));
        Assert.Contains($"(default {OptionTable.DefaultText(maxTokens)})", output);
    }

    [Theory]
    [InlineData(new[] { "trian" }, "'train'")]
    [InlineData(new[] { "clasify", "x" }, "'classify'")]
    [InlineData(new[] { "train", "--max-epoch", "3" }, "'--max-epochs'")]
    [InlineData(new[] { "label", "f.txt", "--paragraph" }, "'--paragraphs'")]
    [InlineData(new[] { "classify", "--modle", "m", "text" }, "'--model'")]
    public void A_mistyped_command_or_option_is_a_usage_error_that_names_the_nearest(string[] args, string suggestion)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", output);
        Assert.Contains($"Did you mean {suggestion}", err);
        Assert.Contains("--help' for usage", err);
    }

    [Fact]
    public void A_word_far_from_every_name_gets_no_suggestion()
    {
        var (code, _, err) = Run("frobnicate");
        Assert.Equal(CommandLine.Usage, code);
        Assert.DoesNotContain("Did you mean", err);
    }

    [Fact]
    public void No_command_prints_the_usage_on_stderr_and_exits_2()
    {
        var (code, output, err) = Run();
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", output);
        Assert.Contains("classify", err);
        Assert.Contains("completion", err);
    }

    [Fact]
    public void A_response_file_holds_more_arguments()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "args.rsp");
        File.WriteAllLines(file, ["train", "--max-epoch", "3"]);
        var (code, _, err) = Run("@" + file);
        Assert.Equal(CommandLine.Usage, code); // the arguments were read: the typo in the file is what is reported
        Assert.Contains("'--max-epochs'", err);
    }

    [Fact]
    public void Words_after_a_double_dash_are_text_even_when_they_look_like_options()
    {
        (string Command, CommandInput Input)? reached = null;
        var root = CommandTree.Build((command, input, _) => { reached = (command, input); return Task.FromResult(0); });
        var result = root.Parse(CommandTree.WithEngineSpellings(["classify", "--", "--not", "an", "option"]));
        Assert.Empty(CommandTree.UnknownOptions(result));
        result.Invoke();
        Assert.Equal(["--not", "an", "option"], reached!.Value.Input.Positionals);
        Assert.Empty(CommandTree.UnknownOptions(root.Parse(["classify", "the", "score", "was", "-3"]))); // a number is a word
    }

    [Fact]
    public void Completion_answers_commands_options_and_values_for_bash()
    {
        if (!File.Exists("/bin/bash")) Assert.Fail("bash is needed for this test");
        var dll = typeof(CommandLine).Assembly.Location;
        using var folder = new TempFolder();
        // A stand-in "agnews" on PATH: the completion script calls the program by the name typed.
        var bin = Path.Combine(folder.Path, "agnews");
        File.WriteAllText(bin, $"#!/bin/sh\nexec dotnet '{dll}' \"$@\"\n");
        File.SetUnixFileMode(bin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = Run("completion", "bash").Out;
        Assert.Contains("complete -o default -F _agnews_complete agnews", script);
        File.WriteAllText(Path.Combine(folder.Path, "completion.bash"), script);

        string Complete(string line)
        {
            var words = line.Split(' ');
            var probe = $"""
                source '{folder.Path}/completion.bash'
                COMP_LINE='{line}'; COMP_POINT={line.Length}; COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}
                _agnews_complete
                printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"
                """;
            var start = new ProcessStartInfo("/bin/bash", ["-c", probe]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["PATH"] = folder.Path + ":" + Environment.GetEnvironmentVariable("PATH");
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return output;
        }

        Assert.Equal(["train"], Complete("agnews tr").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var options = Complete("agnews train --max-").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["--max-epochs", "--max-passes", "--max-tokens"], options.Order());
        Assert.Equal(["hybrid", "hybrid+layers"], Complete("agnews train --head-kind hyb").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("zsh", "compdef _agnews_complete agnews")]
    [InlineData("fish", "complete -c agnews")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName agnews")]
    public void Completion_scripts_for_other_shells_ask_the_program_too(string shell, string registers)
    {
        var (code, output, _) = Run("completion", shell);
        Assert.Equal(0, code);
        Assert.Contains(registers, output);
        Assert.Contains("[suggest:", output);
    }

    [Fact]
    public void An_unknown_shell_is_a_usage_error()
    {
        Assert.Equal(CommandLine.Usage, Run("completion", "tcsh").Code);
    }
}
