using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Inventory.Loading;

/// <summary>
/// The file being read and the list every error of the whole load goes into; warnings (things that work but probably
/// are not meant, such as a rule that matches no device) go to their own list when the load keeps one.
/// </summary>
internal sealed class LoadContext(string file, List<ConfigError> errors, List<ConfigError>? warnings = null)
{
    public string File { get; } = file;

    /// <summary>How many errors the whole load has collected so far (to tell whether reading one part added any).</summary>
    public int ErrorCount => errors.Count;

    public SourceLocation At(YamlNode node) => At(node.Start);

    public SourceLocation At(Mark mark) => new(File, checked((int)mark.Line), checked((int)mark.Column));

    public void Error(YamlNode node, string message) => errors.Add(new ConfigError(At(node), message));

    public void Error(SourceLocation location, string message) => errors.Add(new ConfigError(location, message));

    /// <summary>A warning: kept apart from the errors when the load collects warnings, else an error.</summary>
    public void Warn(SourceLocation location, string message) => (warnings ?? errors).Add(new ConfigError(location, message));

    /// <summary>Parses a whole file into its root node; syntax errors become a <see cref="ConfigError"/> and null.</summary>
    public YamlNode? ReadRoot()
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(File);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            // the parser notices an unclosed { or [ where the next line no longer fits it: point at the bracket
            var at = At(ex.Start);
            if (UnclosedBracket(at.Line, at.Column) is { } open)
            {
                Error(open.At, $"YAML syntax error: this '{open.Bracket}' is never closed (the parser stopped at line {at.Line}: {StripLocation(ex.Message)})");
                return null;
            }

            Error(at, "YAML syntax error: " + StripLocation(ex.Message));
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet throws this, without a position, when the text ends inside an unclosed [ or { ...
            if (UnclosedBracket(int.MaxValue, 1) is { } open)
            {
                Error(open.At, $"YAML syntax error: this '{open.Bracket}' is never closed (the file ends inside it)");
                return null;
            }

            Error(new SourceLocation(File, LastLine(), 1), "YAML syntax error: the file ends inside an unclosed structure (" + ex.Message + ")");
            return null;
        }
        catch (IOException ex)
        {
            Error(new SourceLocation(File, 1, 1), "cannot read the file: " + ex.Message);
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            Error(new SourceLocation(File, 1, 1), "cannot read the file: " + ex.Message);
            return null;
        }

        if (stream.Documents.Count == 0 || Scalars.IsNull(stream.Documents[0].RootNode))
        {
            Error(new SourceLocation(File, 1, 1), "the file is empty");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            Error(stream.Documents[1].RootNode, "only one YAML document per file (found a second '---')");
        }

        return stream.Documents[0].RootNode;
    }

    /// <summary>YamlDotNet prefixes its messages with "(Line: l, Col: c, Idx: i) - (...): "; the error already carries the location.</summary>
    private static string StripLocation(string message)
    {
        if (message.StartsWith("(Line:", StringComparison.Ordinal))
        {
            var end = message.IndexOf("): ", StringComparison.Ordinal);
            if (end >= 0)
            {
                return message[(end + 3)..];
            }
        }

        return message;
    }

    /// <summary>
    /// The innermost flow bracket ({ or [) still open at <paramref name="line"/>:<paramref name="column"/> that was opened
    /// on an earlier line, if any: where a person has to look, rather than the line where the parser gave up. Quoted
    /// scalars and comments are skipped; a bracket inside a plain scalar ("A[1]") does not open a collection.
    /// </summary>
    private (SourceLocation At, char Bracket)? UnclosedBracket(int line, int column)
    {
        string text;
        try
        {
            text = System.IO.File.ReadAllText(File);
        }
        catch (IOException)
        {
            return null;
        }

        var open = new Stack<(int Line, int Column, char Bracket)>();
        int l = 1, c = 1;
        char quote = '\0';
        var previous = '\n';
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (l > line || (l == line && c >= column))
            {
                break;
            }

            if (quote != '\0')
            {
                if (ch == '\\' && quote == '"')
                {
                    i++;
                    c++;
                }
                else if (ch == quote)
                {
                    quote = '\0';
                }
            }
            else if (ch == '#' && (previous is ' ' or '\t' or '\n'))
            {
                while (i + 1 < text.Length && text[i + 1] != '\n')
                {
                    i++;
                }
            }
            else if (ch is '"' or '\'' && (previous is ' ' or '\t' or '\n' or '[' or '{' or ',' or ':'))
            {
                quote = ch;
            }
            else if (ch is '{' or '[' && (open.Count > 0 || previous is ' ' or '\t' or '\n' or '-' or ':'))
            {
                open.Push((l, c, ch));
            }
            else if (ch is '}' or ']' && open.Count > 0)
            {
                open.Pop();
            }

            if (ch == '\n')
            {
                l++;
                c = 1;
            }
            else
            {
                c++;
            }

            previous = ch;
        }

        if (open.Count == 0)
        {
            return null;
        }

        var top = open.Peek();
        return top.Line < line ? (new SourceLocation(File, top.Line, top.Column), top.Bracket) : null;
    }

    private int LastLine()
    {
        try
        {
            return Math.Max(1, System.IO.File.ReadLines(File).Count());
        }
        catch (IOException)
        {
            return 1;
        }
    }
}
