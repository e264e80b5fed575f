namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>
/// One planned read: <see cref="Count"/> registers (or bits) of one table from <see cref="Address"/>, covering the points
/// <see cref="FirstPoint"/> .. <see cref="FirstPoint"/> + <see cref="PointCount"/> - 1 of the map.
/// </summary>
public readonly record struct ReadBlock(RegisterType RegisterType, ushort Address, int Count, int FirstPoint, int PointCount);
