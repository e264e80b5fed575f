using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.RemoteCollectors.Node;

/// <summary>
/// What a collector node polls, made from the <see cref="CollectorConfig"/> the server handed it: the model and profile
/// files written under <c>DATA/profiles/</c> and loaded by the same loaders as the server's, the zone's devices as an
/// inventory of their own (indexes local to the node: series travel by device id), and the SNMP credentials.
/// </summary>
internal sealed class ZoneSetup
{
    private ZoneSetup(Inventory inventory, IReadOnlyDictionary<string, SnmpProfile> snmp, IReadOnlyDictionary<string, ModbusProfile> modbus, SnmpCredentialStore credentials)
    {
        Inventory = inventory;
        Snmp = snmp;
        Modbus = modbus;
        Credentials = credentials;
    }

    public Inventory Inventory { get; }

    public IReadOnlyDictionary<string, SnmpProfile> Snmp { get; }

    public IReadOnlyDictionary<string, ModbusProfile> Modbus { get; }

    public SnmpCredentialStore Credentials { get; }

    /// <exception cref="ConfigException">A file the server sent does not load.</exception>
    /// <exception cref="InvalidDataException">The configuration names a path outside the profiles folder or a model it did not send.</exception>
    public static ZoneSetup Create(CollectorConfig config, string profilesDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Directory.Exists(profilesDirectory))
        {
            Directory.Delete(profilesDirectory, recursive: true);
        }

        var root = Path.GetFullPath(profilesDirectory);
        foreach (var (relative, text) in config.Files)
        {
            var path = Path.GetFullPath(Path.Combine(root, relative));
            if (Path.IsPathRooted(relative) || !path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"the configuration names a file outside the profiles folder: '{relative}'");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        Directory.CreateDirectory(root);
        var models = InventoryLoader.LoadModels(root);
        var snmp = SnmpProfileLoader.LoadFolder(root);
        var modbus = ModbusProfileLoader.LoadFolder(root);
        var rooms = new List<Room>();
        var index = 0;
        foreach (var room in config.Devices.GroupBy(d => d.Room, StringComparer.Ordinal))
        {
            var devices = new List<Device>();
            foreach (var d in room)
            {
                var model = models.GetValueOrDefault(d.Model) ?? throw new InvalidDataException($"device '{d.Id}': model '{d.Model}' is not in the files the server sent");
                devices.Add(new Device
                {
                    Id = d.Id,
                    Name = d.Name,
                    Model = model,
                    RoomId = d.Room,
                    Address = d.Address,
                    UnitId = d.UnitId,
                    Profile = d.Profile,
                    Tags = d.Tags,
                    Zone = config.Zone,
                    Index = index++,
                });
            }

            rooms.Add(new Room { Id = room.Key, Name = room.Key, Size = new RoomSize(1, 1, 1), Devices = devices });
        }

        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, values) in config.Credentials)
        {
            foreach (var (key, value) in values)
            {
                settings[$"{SnmpCredentialStore.Section}:{name}:{key}"] = value;
            }
        }

        var credentials = new SnmpCredentialStore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return new ZoneSetup(new Inventory([.. models.Values], rooms), snmp, modbus, credentials);
    }
}
