using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>
/// Issue 23, item 6: --token-file creates the token only where nothing is (or where a stale token of a stopped server
/// lies), and a server deletes at exit only the file it created (docs/security.md, "TCP: a token per server").
/// </summary>
public class ConnectionTokenFileTests
{
    private static TempFolder PrivateFolder()
    {
        var folder = new TempFolder();
        File.SetUnixFileMode(folder.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    [Fact]
    public void An_existing_file_is_refused_and_kept()
    {
        using var folder = PrivateFolder();
        var notes = folder.File("notes.txt", "my notes");

        var e = Assert.Throws<TokenFileRefusedException>(() => ConnectionToken.Create(notes));

        Assert.Contains(notes, e.Message);
        Assert.Equal("my notes", File.ReadAllText(notes));
    }

    [Fact]
    public void A_link_is_refused_and_neither_it_nor_its_target_touched()
    {
        using var folder = PrivateFolder();
        var notes = folder.File("notes.txt", "my notes");
        var link = folder.Combine("server.token");
        File.CreateSymbolicLink(link, notes);

        Assert.Throws<TokenFileRefusedException>(() => ConnectionToken.Create(link));

        Assert.Equal(notes, new FileInfo(link).LinkTarget);
        Assert.Equal("my notes", File.ReadAllText(notes));
    }

    [Fact]
    public void A_running_servers_token_is_refused_and_survives_the_second_server()
    {
        using var folder = PrivateFolder();
        var path = folder.Combine("server.token");
        using var first = ConnectionToken.Create(path);

        var e = Assert.Throws<TokenFileRefusedException>(() => ConnectionToken.Create(path));

        Assert.Contains("running", e.Message);
        Assert.Equal(first.Value, File.ReadAllText(path));
    }

    [Fact]
    public void A_stale_token_of_a_stopped_server_is_replaced()
    {
        using var folder = PrivateFolder();
        var path = folder.Combine("server.token");
        var stale = new string('a', 64); // what a server killed with -9 leaves: a token nobody holds
        File.WriteAllText(path, stale);

        using var token = ConnectionToken.Create(path);

        Assert.NotEqual(stale, token.Value);
        Assert.Equal(token.Value, File.ReadAllText(path));
    }

    [Fact]
    public void At_exit_only_the_file_this_server_created_is_deleted()
    {
        using var folder = PrivateFolder();
        var path = folder.Combine("server.token");
        var token = ConnectionToken.Create(path);
        File.Delete(path);
        File.WriteAllText(path, "someone else's file");

        token.Dispose();

        Assert.Equal("someone else's file", File.ReadAllText(path));

        using var second = ConnectionToken.Create(folder.Combine("other.token"));
        second.Dispose();
        Assert.False(File.Exists(folder.Combine("other.token")));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherWrite)]
    public void A_folder_others_may_write_is_refused(UnixFileMode extra)
    {
        using var folder = PrivateFolder();
        File.SetUnixFileMode(folder.Path, File.GetUnixFileMode(folder.Path) | extra);

        var e = Assert.Throws<TokenFileRefusedException>(() => ConnectionToken.Create(folder.Combine("server.token")));

        Assert.Contains(folder.Path, e.Message);
        Assert.Contains("writable", e.Message);
        Assert.False(File.Exists(folder.Combine("server.token")));
    }

    [Fact]
    public void A_missing_folder_is_created_private()
    {
        using var folder = PrivateFolder();
        var path = folder.Combine("run/agnews/server.token");

        using var token = ConnectionToken.Create(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(folder.Combine("run/agnews")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
