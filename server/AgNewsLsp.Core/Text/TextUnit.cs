namespace AgNewsLsp.Text;

/// <summary>
/// The piece of a document that gets one label: the whole document, each paragraph (a run of non-blank lines)
/// or each line. Hovers use a paragraph or a line; labelling a document uses the document and, if asked, its
/// paragraphs.
/// </summary>
public enum TextUnit { Document, Paragraph, Line }
