namespace Monitoring.Server.Security;

/// <summary><c>.Requires(Capability.X)</c> on an endpoint: the role (or token scope) it needs.</summary>
internal static class EndpointPermissions
{
    public static TBuilder Requires<TBuilder>(this TBuilder builder, Capability permission)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(Permissions.PolicyName(permission));
}
