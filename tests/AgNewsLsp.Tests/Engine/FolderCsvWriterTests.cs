using AgNewsLsp.Engine;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Engine;

/// <summary>Issue 23: a text cell a spreadsheet would run as a formula is written inert, as OWASP's CSV injection page advises.</summary>
public class FolderCsvWriterTests
{
    [Theory]
    [InlineData("=HYPERLINK(1).txt", "'=HYPERLINK(1).txt")]
    [InlineData("+1.txt", "'+1.txt")]
    [InlineData("-2.txt", "'-2.txt")]
    [InlineData("@SUM(A1).txt", "'@SUM(A1).txt")]
    [InlineData("\tx.txt", "'\tx.txt")]
    [InlineData("a=b.txt", "a=b.txt")]
    [InlineData("=a,b.txt", "\"'=a,b.txt\"")]
    public void A_text_cell_that_starts_a_formula_gets_a_quote_before_it(string file, string cell)
    {
        var output = new StringWriter();
        var writer = new FolderCsvWriter(output);
        writer.WriteHeader(["=cmd", "Sports"]);
        writer.WriteRow(new FolderRow(file, TextUnit.Document, 1, 1,
            new Prediction("=cmd", 0, [0.75f, 0.25f], ["=cmd", "Sports"], false, 5)));

        var lines = output.ToString().Split("\r\n");
        Assert.Equal("file,unit,startLine,endLine,label,probability,truncated,'=cmd,Sports", lines[0]);
        Assert.Equal($"{cell},document,1,1,'=cmd,0.75,false,0.75,0.25", lines[1]);
    }
}
