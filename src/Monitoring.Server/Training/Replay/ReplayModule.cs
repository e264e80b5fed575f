using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Monitoring.Core.Inventory;
using Monitoring.Server.Alarms;
using Monitoring.Server.Live;
using Monitoring.Storage.History;
using Monitoring.Storage.Tickets;

namespace Monitoring.Server.Training.Replay;

/// <summary>
/// The replay (issue 21): the host's own recorded past as an <see cref="IReplaySource"/> (a replay session's host gets
/// the live host's instead, through <see cref="ReplaySessionContributor"/>), the replay endpoints, and in a replay
/// session the <see cref="ReplayClock"/> and its hub messages.
/// </summary>
internal static class ReplayModule
{
    /// <summary>The hub method every console of a replay session receives the clock by.</summary>
    public const string HubMethod = "replay";

    public static void Add(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ReplayOptions>(builder.Configuration.GetSection(ReplayOptions.Section));
        // a replay session's host has the live host's source put in by the contributor; any other host reads its own stores
        services.TryAddSingleton<IReplaySource>(sp => new StoreReplaySource(
            sp.GetRequiredService<Inventory>(), sp.GetRequiredService<HistoryStore>(), sp.GetService<AlarmRuntime>()?.Store,
            sp.GetRequiredService<TicketStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ReplaySessionContributor>();
        services.AddSingleton<ISessionHostContributor>(sp => sp.GetRequiredService<ReplaySessionContributor>());
        services.AddSingleton<ReplayClockAccess>();
        services.AddHostedService<ReplayClockBroadcaster>();
    }

    public static void Map(RouteGroupBuilder secured) => ReplayEndpoints.Map(secured);
}

/// <summary>
/// Hands the live host's recorded past, read-only, to every replay session's host as it is built: the session's
/// <c>/api/replay</c> endpoints and its clock then read the live room's history, alarm and ticket logs (nothing of the
/// session is ever written into them: the source only reads).
/// </summary>
public sealed class ReplaySessionContributor(IReplaySource source) : ISessionHostContributor
{
    public void Contribute(IServiceCollection sessionServices, TrainingSessionOptions session)
    {
        ArgumentNullException.ThrowIfNull(sessionServices);
        ArgumentNullException.ThrowIfNull(session);
        if (session.Kind != TrainingSessionKind.Replay)
        {
            return;
        }

        sessionServices.RemoveAll<IReplaySource>();
        sessionServices.AddSingleton(source);
    }
}

/// <summary>
/// Sends the replay clock to every console of the session: at once after each command, and every second while it
/// plays (and once when it reaches the end), so a console that drifted or joined late follows.
/// </summary>
internal sealed partial class ReplayClockBroadcaster(ReplayClockAccess access, HubConnectionRegistry registry, TimeProvider time, ILogger<ReplayClockBroadcaster> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (access.Clock is not { } clock)
        {
            return;
        }

        clock.Changed += (_, state) => Send(state);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var wasPlaying = false;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var state = clock.State;
            if (state.Playing || wasPlaying)
            {
                Send(state);
            }

            wasPlaying = state.Playing;
        }
    }

    private void Send(ReplayClockDto state)
    {
        try
        {
            var message = new SerializedHubMessage(new InvocationMessage(ReplayModule.HubMethod, [state]));
            foreach (var connection in registry.Connections)
            {
                if (connection.IsOpen)
                {
                    registry.Send(connection, message);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            LogSendFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send the replay clock to the consoles")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);
}
