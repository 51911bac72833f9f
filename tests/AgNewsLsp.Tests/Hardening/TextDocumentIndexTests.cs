using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Text;
using Range = AgNewsLsp.Server.Wire.Range;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>
/// Issue 9, item 8: a hover finds its paragraph from the document's line index, which incremental changes keep
/// up to date, instead of re-splitting the whole document. The index must give what the core's splitter gives.
/// </summary>
public class TextDocumentIndexTests
{
    private static readonly string[] Pieces = ["a", "b c", " ", "\t", "\n", "\r\n", "\r", "\n\n", "word ", "x\r", "\ny", "  \n"];

    private static void AssertSameUnits(TextDocument document)
    {
        var fresh = new TextDocument(document.Uri, document.Version, document.Text);
        Assert.Equal(fresh.LineCount, document.LineCount);
        var paragraphs = Paragraphs.Split(document.Text);
        var lines = Paragraphs.Lines(document.Text);
        Assert.Equal(paragraphs.Select(b => (b.Start, b.End, b.Text)),
            TextUnits.ParagraphsInOrder(document).Select(s => (s.Start, s.End, s.Text)));
        for (var line = 0; line < document.LineCount + 1; line++)
        {
            Assert.Equal(fresh.LineStart(line), document.LineStart(line));
            var expected = paragraphs.FirstOrDefault(b => b.StartLine <= line && line <= b.EndLine);
            var actual = TextUnits.At(document, new Position(line, 0), TextUnit.Paragraph);
            (int, int, string)? expectedSpan = expected is null ? null : (expected.Start, expected.End, expected.Text);
            (int, int, string)? actualSpan = actual is { } a ? (a.Start, a.End, a.Text) : null;
            Assert.Equal(expectedSpan, actualSpan);
            var expectedLine = lines.FirstOrDefault(b => b.StartLine == line);
            var actualLine = TextUnits.At(document, new Position(line, 0), TextUnit.Line);
            Assert.Equal(expectedLine?.Text, actualLine?.Text);
        }
    }

    [Fact]
    public void Random_incremental_edits_keep_the_index_equal_to_a_fresh_split()
    {
        var random = new Random(9);
        var document = new TextDocument("file:///r.txt", 0, "first para\nstill first\n\nsecond\r\n\r\nthird\rfourth");
        for (var step = 1; step <= 400; step++)
        {
            var a = random.Next(document.LineCount + 1);
            var b = Math.Min(document.LineCount, a + random.Next(3));
            var start = new Position(a, random.Next(12));
            var end = new Position(b, random.Next(12));
            var inserted = string.Concat(Enumerable.Range(0, random.Next(4)).Select(_ => Pieces[random.Next(Pieces.Length)]));
            document = document.Apply([new TextDocumentContentChangeEvent(inserted, new Range(start, end))], step);
            AssertSameUnits(document);
        }
    }

    [Fact]
    public void A_batch_of_changes_gives_what_the_same_changes_one_at_a_time_give()
    {
        var random = new Random(23);
        var one = new TextDocument("file:///b.txt", 0, "first para\nstill first\n\nsecond\r\n\r\nthird\rfourth");
        var batched = one;
        for (var round = 1; round <= 60; round++)
        {
            var changes = new List<TextDocumentContentChangeEvent>();
            for (var k = 0; k < 1 + random.Next(12); k++)
            {
                var a = random.Next(one.LineCount + 1);
                var b = Math.Min(one.LineCount, a + random.Next(3));
                var change = new TextDocumentContentChangeEvent(
                    string.Concat(Enumerable.Range(0, random.Next(4)).Select(_ => Pieces[random.Next(Pieces.Length)])),
                    new Range(new Position(a, random.Next(12)), new Position(b, random.Next(12))));
                changes.Add(change);
                one = one.Apply([change], round); // the reference: each change on its own snapshot
            }
            batched = batched.Apply(changes, round);
            Assert.Equal(one.Text, batched.Text);
            AssertSameUnits(batched);
        }
    }

    [Fact]
    public void Five_thousand_changes_in_one_notification_do_not_copy_the_document_per_change()
    {
        var text = string.Join("\n", Enumerable.Range(0, 20_000).Select(i => $"Line {i} of a long document about markets."));
        var document = new TextDocument("file:///big.txt", 1, text);
        var changes = Enumerable.Range(0, 5000)
            .Select(i => new TextDocumentContentChangeEvent("x", new Range(new Position(i * 4, 0), new Position(i * 4, 0)))).ToList();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var changed = document.Apply(changes, 2);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(text.Length + 5000, changed.Text.Length);
        Assert.StartsWith("xLine 0 of", changed.Text);
        // A copy of the text per change would be 5,000 x 1.7 MB; one pass needs a few copies.
        Assert.True(allocated < 20L * text.Length * sizeof(char), $"{allocated / (1 << 20)} MiB allocated for {text.Length} characters");
    }

    [Fact]
    public void A_hover_on_a_large_document_does_not_split_all_of_it()
    {
        var paragraph = string.Join('\n', Enumerable.Repeat("Stocks rose as the central bank held rates steady today.", 4));
        var text = string.Join("\n\n", Enumerable.Repeat(paragraph, 100_000)); // about 23 MB
        var document = new TextDocument("file:///big.txt", 1, text);
        // Counted in bytes allocated, not in time: a split of the whole document makes a string per paragraph (tens of
        // MB); 200 hovers that walk their own paragraph's lines make 200 paragraphs' worth.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
            Assert.NotNull(TextUnits.At(document, new Position(i * 997 % document.LineCount / 5 * 5, 3), TextUnit.Paragraph));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 200 * (paragraph.Length * sizeof(char) + 1024), $"{allocated} bytes allocated by 200 hovers");
    }

    [Fact]
    public void The_store_keeps_its_open_documents_under_a_total_and_counts_what_closes()
    {
        var store = new DocumentStore(maxChars: 100, maxDocuments: 10, maxTotalChars: 250);
        store.Open("file:///a", 1, new string('a', 100));
        store.Open("file:///b", 1, new string('b', 100));
        var e = Assert.Throws<InvalidDataException>(() => store.Open("file:///c", 1, new string('c', 60)));
        Assert.Contains("maxSessionChars", e.Message);
        Assert.Null(store.Get("file:///c"));
        store.Open("file:///a", 2, new string('a', 40)); // reopening replaces: 140 in all
        store.Open("file:///c", 1, new string('c', 60));
        Assert.Equal(200, store.TotalChars);
        // a change that grows one document past the total drops it
        Assert.Throws<InvalidDataException>(() => store.Change("file:///c", 2,
            [new TextDocumentContentChangeEvent(new string('x', 60), new Range(new Position(0, 0), new Position(0, 0)))]));
        Assert.Null(store.Get("file:///c"));
        Assert.Equal(140, store.TotalChars);
        store.Close("file:///a");
        Assert.Equal(100, store.TotalChars);
    }

    [Fact]
    public void The_store_refuses_documents_over_its_limits_and_drops_one_that_grows_past_them()
    {
        var store = new DocumentStore(maxChars: 100, maxDocuments: 2);
        Assert.Throws<InvalidDataException>(() => store.Open("file:///big", 1, new string('x', 101)));
        store.Open("file:///a", 1, "a");
        store.Open("file:///b", 1, "b");
        var e = Assert.Throws<InvalidDataException>(() => store.Open("file:///c", 1, "c"));
        Assert.Contains("maxOpenDocuments", e.Message);
        store.Open("file:///a", 2, "reopened"); // the same document again is not one more
        Assert.Throws<InvalidDataException>(() => store.Change("file:///a", 3, [new TextDocumentContentChangeEvent(new string('y', 200))]));
        Assert.Null(store.Get("file:///a"));
        store.Open("file:///c", 1, "c");
        Assert.Equal(2, store.Count);
    }
}
