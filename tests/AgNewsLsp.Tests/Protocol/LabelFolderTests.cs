using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>agnews/labelFolder over a real session with the fake engine.</summary>
public class LabelFolderTests
{
    /// <summary>A workspace with news/ (text and Markdown files, one binary, one CSV) and an empty out/.</summary>
    private static TempFolder Workspace(int files = 6)
    {
        var workspace = new TempFolder();
        for (var i = 0; i < files; i++)
            workspace.File($"news/{(i % 2 == 0 ? "sport" : "money")}-{i:D4}.{(i % 3 == 0 ? "md" : "txt")}",
                i % 2 == 0 ? "A big match tonight." : "Stock market news.");
        File.WriteAllBytes(workspace.Combine("news/blob.txt"), [1, 2, 0, 3, 65, 66, 67]);
        workspace.File("news/table.csv", "a,b");
        Directory.CreateDirectory(workspace.Combine("out"));
        return workspace;
    }

    [Fact]
    public async Task A_workspace_folder_is_labelled_into_a_csv_with_progress_and_a_summary()
    {
        using var workspace = Workspace();
        await using var client = new LspTestClient();
        var init = await client.InitializedAsync(workDoneProgress: true, initializationOptions: new { progressThrottleMs = 0 },
            workspaceFolders: [workspace.Path]);
        Assert.Contains("agnews/labelFolder", init.GetProperty("capabilities").GetProperty("executeCommandProvider").GetProperty("commands")
            .EnumerateArray().Select(c => c.GetString()));

        var result = await client.RequestAsync("agnews/labelFolder", new
        {
            folder = new Uri(workspace.Combine("news")).AbsoluteUri,
            exclude = new[] { "**/*-0005.*" },
            format = "csv",
            output = workspace.Combine("out/labels.csv"),
            workDoneToken = "folder-1",
        });

        Assert.Equal(workspace.Combine("news"), result.GetProperty("folder").GetString());
        Assert.Equal(workspace.Combine("out/labels.csv"), result.GetProperty("output").GetString());
        Assert.Equal("csv", result.GetProperty("format").GetString());
        Assert.Equal("document", result.GetProperty("unit").GetString());
        Assert.Equal(6, result.GetProperty("filesMatched").GetInt32()); // 5 news files and the binary one
        Assert.Equal(5, result.GetProperty("filesLabeled").GetInt32());
        Assert.Equal(5, result.GetProperty("rows").GetInt64());
        Assert.Equal(1, result.GetProperty("skipped").GetInt32());
        var skipped = Assert.Single(result.GetProperty("skippedFiles").EnumerateArray());
        Assert.Equal("blob.txt", skipped.GetProperty("file").GetString());
        Assert.Contains("binary", skipped.GetProperty("reason").GetString());
        var counts = result.GetProperty("labelCounts").EnumerateArray()
            .ToDictionary(c => c.GetProperty("label").GetString()!,
                c => (c.GetProperty("documents").GetInt32(), c.GetProperty("paragraphs").GetInt32()));
        Assert.Equal((3, 0), counts["Sports"]);
        Assert.Equal((2, 0), counts["Business"]);
        Assert.True(result.GetProperty("seconds").GetDouble() >= 0);
        Assert.Equal(6, File.ReadAllLines(workspace.Combine("out/labels.csv")).Length);

        await LifecycleTests.WaitUntil(() =>
            client.Target.Progress.Any(p => p.Token == "folder-1" && p.Value.GetProperty("kind").GetString() == "end"));
        var progress = client.Target.Progress.Where(p => p.Token == "folder-1").Select(p => p.Value).ToList();
        Assert.Equal("begin", progress[0].GetProperty("kind").GetString());
        Assert.Contains(progress, p => p.GetProperty("kind").GetString() == "report" && p.GetProperty("percentage").GetInt32() == 100);
        Assert.Equal("5 files labelled, 1 skipped", progress[^1].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Per_paragraph_into_jsonl_through_the_workspace_command_with_a_relative_output()
    {
        using var workspace = Workspace(files: 2);
        workspace.File("news/two.txt", "A big match tonight.\n\nStock market news.");
        await using var client = new LspTestClient();
        await client.InitializedAsync(workspaceFolders: [workspace.Path]);

        var result = await client.RequestAsync("workspace/executeCommand", new
        {
            command = "agnews/labelFolder",
            arguments = new object[]
            {
                new { folder = workspace.Path, include = new[] { "news/*.txt" }, unit = "paragraph", output = "out/labels.jsonl" }
            },
        });

        Assert.Equal("jsonl", result.GetProperty("format").GetString());
        Assert.Equal("paragraph", result.GetProperty("unit").GetString());
        Assert.Equal(workspace.Combine("out/labels.jsonl"), result.GetProperty("output").GetString());
        var rows = File.ReadAllLines(workspace.Combine("out/labels.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var two = rows.Where(r => r.GetProperty("file").GetString() == "news/two.txt").ToList();
        Assert.Equal(["document", "paragraph", "paragraph"], two.Select(r => r.GetProperty("unit").GetString()));
        Assert.Equal(["Sports", "Business"], two.Skip(1).Select(r => r.GetProperty("label").GetString()));
        var business = result.GetProperty("labelCounts").EnumerateArray().Single(c => c.GetProperty("label").GetString() == "Business");
        Assert.Equal(2, business.GetProperty("paragraphs").GetInt32()); // money-0001.txt and two.txt's second paragraph
    }

    [Fact]
    public async Task CancelRequest_stops_the_run_and_leaves_no_output()
    {
        using var workspace = Workspace(files: FolderLabeler.BatchFiles * 2);
        var engine = new FakeLabelingEngine { HoldClassify = new ManualResetEventSlim(false) };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync(workDoneProgress: true, workspaceFolders: [workspace.Path]);
        using var cts = new CancellationTokenSource();

        var run = client.RequestAsync("agnews/labelFolder",
            new { folder = workspace.Combine("news"), format = "csv", output = workspace.Combine("out/labels.csv") }, cts.Token);
        await engine.ClassifyStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        cts.Cancel(); // StreamJsonRpc sends $/cancelRequest { id }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var token = Assert.Single(client.Target.CreatedTokens);
        await LifecycleTests.WaitUntil(() =>
            client.Target.Progress.Any(p => p.Token == token && p.Value.GetProperty("kind").GetString() == "end"));
        Assert.Equal("cancelled", client.Target.Progress.Last(p => p.Token == token).Value.GetProperty("message").GetString());
        Assert.Empty(Directory.GetFileSystemEntries(workspace.Combine("out")));
    }

    [Fact]
    public async Task WorkDoneProgress_cancel_stops_the_run_with_RequestCancelled()
    {
        using var workspace = Workspace(files: 4);
        var engine = new FakeLabelingEngine { HoldClassify = new ManualResetEventSlim(false) };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync(workspaceFolders: [workspace.Path]);

        var run = client.RequestAsync("agnews/labelFolder",
            new { folder = workspace.Combine("news"), output = workspace.Combine("out/l.jsonl"), workDoneToken = "lf" });
        await engine.ClassifyStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await client.NotifyAsync("window/workDoneProgress/cancel", new { token = "lf" });

        int code;
        try
        {
            await run;
            throw new Xunit.Sdk.XunitException("expected cancellation");
        }
        catch (StreamJsonRpc.RemoteInvocationException ex) { code = ex.ErrorCode; }
        catch (OperationCanceledException) { code = ErrorCodes.RequestCancelled; } // StreamJsonRpc reads -32800 as a cancelled task
        Assert.Equal(ErrorCodes.RequestCancelled, code);
        Assert.Empty(Directory.GetFileSystemEntries(workspace.Combine("out")));
    }

    [Fact]
    public async Task Folders_and_outputs_outside_the_workspace_are_refused()
    {
        using var workspace = Workspace(files: 2);
        using var elsewhere = new TempFolder();
        elsewhere.File("a.txt", "A big match tonight.");
        File.CreateSymbolicLink(workspace.Combine("escape"), elsewhere.Path);
        await using var client = new LspTestClient();
        await client.InitializedAsync(workspaceFolders: [workspace.Path]);

        async Task<(int, string)> Refusal(object args) =>
            await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/labelFolder", args));

        var (code, message) = await Refusal(new { folder = elsewhere.Path, format = "csv", output = workspace.Combine("out/x.csv") });
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("workspace folder", message);
        Assert.Equal(ErrorCodes.BadInput,
            (await Refusal(new { folder = workspace.Combine("escape"), format = "csv", output = workspace.Combine("out/x.csv") })).Item1);
        (code, message) = await Refusal(new { folder = workspace.Combine("news"), format = "csv", output = elsewhere.Combine("x.csv") });
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("workspace folder", message);
        Assert.Equal(ErrorCodes.BadInput,
            (await Refusal(new { folder = workspace.Combine("news"), output = "../../../../../../tmp/x.csv" })).Item1);
        Assert.Equal(ErrorCodes.BadInput,
            (await Refusal(new { folder = workspace.Combine("missing"), format = "csv", output = workspace.Combine("out/x.csv") })).Item1);
        Assert.Equal(ErrorCodes.BadInput,
            (await Refusal(new { folder = "news", format = "csv", output = workspace.Combine("out/x.csv") })).Item1);
        Assert.Equal(ErrorCodes.BadInput,
            (await Refusal(new { folder = workspace.Combine("news"), format = "csv", output = workspace.Combine("out") })).Item1);
        Assert.False(File.Exists(elsewhere.Combine("x.csv")));

        // without workspace folders nothing is read
        await using var bare = new LspTestClient();
        await bare.InitializedAsync();
        Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
            bare.RequestAsync("agnews/labelFolder",
                new { folder = workspace.Combine("news"), format = "csv", output = workspace.Combine("out/x.csv") })));
    }

    [Fact]
    public async Task Bad_params_are_InvalidParams()
    {
        using var workspace = Workspace(files: 1);
        await using var client = new LspTestClient();
        await client.InitializedAsync(workspaceFolders: [workspace.Path]);
        var folder = workspace.Combine("news");
        var output = workspace.Combine("out/x.csv");
        foreach (var args in new object[]
                 {
                     new { output },
                     new { folder },
                     new { folder, output, unit = "line" },
                     new { folder, output, format = "xml" },
                     new { folder, output = workspace.Combine("out/x.txt") },
                     new { folder, output, include = new[] { "{a,b" } },
                     new { folder, output, exclude = new[] { "/etc/**" } },
                     new { folder, output, include = "**/*.txt" },
                 })
            Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/labelFolder", args)));
    }
}
