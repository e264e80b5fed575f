namespace Monitoring.Core.LineProtocol;

/// <summary>One rejected line of a write: its 1-based physical line number in the body and what is wrong with it.</summary>
public sealed record LineProtocolError(int Line, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}
