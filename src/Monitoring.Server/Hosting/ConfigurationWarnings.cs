using Monitoring.Core.Inventory;

namespace Monitoring.Server.Hosting;

/// <summary>
/// What the configuration check found at start that does not stop the server (a rule that matches no device of the
/// room, a device whose profile has no file): each one is logged once at start, with its file:line:col, and
/// <c>monitoring validate</c> reports the same.
/// </summary>
public sealed class ConfigurationWarnings(IReadOnlyList<ConfigError> warnings)
{
    public IReadOnlyList<ConfigError> Items { get; } = warnings;
}

/// <summary>Logs the <see cref="ConfigurationWarnings"/> when the host starts.</summary>
internal sealed partial class ConfigurationWarningsLogger(ConfigurationWarnings warnings, ILogger<ConfigurationWarningsLogger> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var warning in warnings.Items)
        {
            LogWarning(logger, warning.Location.ToString(), warning.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration warning at {Location}: {Message}")]
    private static partial void LogWarning(ILogger logger, string location, string message);
}
