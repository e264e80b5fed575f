using System.Runtime.InteropServices;

namespace Monitoring.Core.Series;

/// <summary>One value of one series at one instant: what the hot path moves around. 24 bytes, no references.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct Sample(int SeriesId, long TimestampNs, double Value);
