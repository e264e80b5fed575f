namespace Monitoring.Core.Inventory;

/// <summary>Where a definition came from, so errors and the UI can point at file:line:col.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One problem found in a configuration file.</summary>
public sealed record ConfigError(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>Thrown when configuration is invalid; carries every error found, not only the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    public ConfigException()
        : this([])
    {
    }

    public ConfigException(string message)
        : base(message)
    {
        Errors = [];
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public IReadOnlyList<ConfigError> Errors { get; } = [];

    private static string Format(IReadOnlyList<ConfigError> errors) =>
        errors.Count == 0 ? "invalid configuration" : string.Join(Environment.NewLine, errors);
}
