using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Text;

public class ParagraphsTests
{
    [Fact]
    public void Splits_on_blank_lines_with_offsets_into_the_original()
    {
        const string doc = "  First line\nstill first.\n\n\n Second para \n   \nThird";
        var paragraphs = Paragraphs.Split(doc);
        Assert.Equal(["First line\nstill first.", "Second para", "Third"], paragraphs.Select(p => p.Text));
        foreach (var p in paragraphs) Assert.Equal(p.Text, doc.Substring(p.Start, p.Length));
        Assert.Equal([0, 1, 2], paragraphs.Select(p => p.Index));
        Assert.Equal([(0, 1), (4, 4), (6, 6)], paragraphs.Select(p => (p.StartLine, p.EndLine)));
        Assert.Equal(2, paragraphs[0].Start);
    }

    [Fact]
    public void Handles_crlf_and_lone_cr()
    {
        const string doc = "One\r\ntwo\r\n\r\nThree\r\rFour\r\n";
        var paragraphs = Paragraphs.Split(doc);
        Assert.Equal(["One\r\ntwo", "Three", "Four"], paragraphs.Select(p => p.Text));
        foreach (var p in paragraphs) Assert.Equal(p.Text, doc.Substring(p.Start, p.Length));
        Assert.Equal([(0, 1), (3, 3), (5, 5)], paragraphs.Select(p => (p.StartLine, p.EndLine)));

        var lines = Paragraphs.Lines(doc);
        Assert.Equal(["One", "two", "Three", "Four"], lines.Select(l => l.Text));
        Assert.Equal([0, 1, 3, 5], lines.Select(l => l.StartLine));
        Assert.Equal([0, 5, 12, 19], lines.Select(l => l.Start));
    }

    [Fact]
    public void Lines_are_trimmed_and_blank_lines_skipped()
    {
        const string doc = "\n  alpha  \n\t\nbeta";
        var lines = Paragraphs.Lines(doc);
        Assert.Equal(["alpha", "beta"], lines.Select(l => l.Text));
        Assert.Equal([1, 3], lines.Select(l => l.StartLine));
        foreach (var l in lines) Assert.Equal(l.Text, doc.Substring(l.Start, l.Length));
    }

    [Fact]
    public void Blank_documents_have_no_paragraphs()
    {
        Assert.Empty(Paragraphs.Split(""));
        Assert.Empty(Paragraphs.Split(" \r\n\t\n"));
        Assert.Empty(Paragraphs.Lines("\n\n"));
    }

    [Fact]
    public void Finds_the_paragraph_or_line_at_an_offset()
    {
        const string doc = "Alpha beta.\n\nGamma\ndelta.\n\n\nEpsilon";
        int gamma = doc.IndexOf("Gamma", StringComparison.Ordinal);
        int delta = doc.IndexOf("delta", StringComparison.Ordinal);
        Assert.Equal("Alpha beta.", Paragraphs.ParagraphAt(doc, 0)!.Text);
        Assert.Equal("Alpha beta.", Paragraphs.ParagraphAt(doc, 11)!.Text); // caret right after the last char
        Assert.Null(Paragraphs.ParagraphAt(doc, 12)); // the blank line between
        Assert.Equal("Gamma\ndelta.", Paragraphs.ParagraphAt(doc, delta + 2)!.Text);
        Assert.Equal(1, Paragraphs.ParagraphAt(doc, gamma)!.Index);
        Assert.Equal("Epsilon", Paragraphs.ParagraphAt(doc, doc.Length)!.Text);
        Assert.Null(Paragraphs.ParagraphAt(doc, -1));
        Assert.Null(Paragraphs.ParagraphAt(doc, doc.Length + 5));

        Assert.Equal("delta.", Paragraphs.LineAt(doc, delta + 1)!.Text);
        Assert.Equal("Gamma", Paragraphs.LineAt(doc, gamma + 4)!.Text);
        Assert.Null(Paragraphs.LineAt(doc, doc.IndexOf("\n\n\n", StringComparison.Ordinal) + 1));
    }

    [Fact]
    public void Every_non_blank_character_is_in_exactly_one_paragraph()
    {
        var random = new Random(7);
        const string alphabet = "ab \n\r\t";
        for (int trial = 0; trial < 200; trial++)
        {
            var doc = new string(Enumerable.Range(0, random.Next(0, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var paragraphs = Paragraphs.Split(doc);
            for (int i = 0; i < doc.Length; i++)
            {
                int containing = paragraphs.Count(p => i >= p.Start && i < p.End);
                if (!char.IsWhiteSpace(doc[i])) Assert.Equal(1, containing);
                else Assert.True(containing <= 1);
            }
            for (int i = 1; i < paragraphs.Count; i++) Assert.True(paragraphs[i].Start > paragraphs[i - 1].End);
        }
    }
}
