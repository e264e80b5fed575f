namespace Monitoring.Core.Alarms;

/// <summary>
/// The open alarms (not closed), by id and by device index. Written by the lifecycle stage only; the root-cause muter
/// reads it to find a device's down alarms.
/// </summary>
internal sealed class OpenAlarms
{
    private readonly Dictionary<long, Alarm> _byId = [];
    private readonly List<Alarm>[] _byDevice;

    public OpenAlarms(int devices)
    {
        _byDevice = new List<Alarm>[devices];
        for (var i = 0; i < devices; i++)
        {
            _byDevice[i] = [];
        }
    }

    public int Count => _byId.Count;

    public Dictionary<long, Alarm>.ValueCollection All => _byId.Values;

    public bool TryGet(long id, out Alarm alarm) => _byId.TryGetValue(id, out alarm!);

    /// <summary>The open alarms of one device, in the order they were opened.</summary>
    public List<Alarm> OnDevice(int deviceIndex) => _byDevice[deviceIndex];

    public void Add(Alarm alarm)
    {
        _byId[alarm.Id] = alarm;
        _byDevice[alarm.DeviceIndex].Add(alarm);
    }

    public void Remove(Alarm alarm)
    {
        _byId.Remove(alarm.Id);
        _byDevice[alarm.DeviceIndex].Remove(alarm);
    }
}
