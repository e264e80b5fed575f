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
            Error(At(ex.Start), "YAML syntax error: " + StripLocation(ex.Message));
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet throws this, without a position, when the text ends inside an unclosed [ or { ...
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
