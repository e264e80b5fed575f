namespace Monitoring.Collectors.Snmp.Tests;

public class OidTests
{
    [Fact]
    public void Parse_and_format_round_trip_with_or_without_leading_dot()
    {
        var oid = Oid.Parse(".1.3.6.1.2.1.1.5.0");
        Assert.Equal("1.3.6.1.2.1.1.5.0", oid.ToString());
        Assert.Equal(oid, Oid.Parse("1.3.6.1.2.1.1.5.0"));
        Assert.Equal(9, oid.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1..3")]
    [InlineData("1.3.x")]
    [InlineData("1.3.4294967296")]
    public void TryParse_rejects_malformed_text(string text) => Assert.False(Oid.TryParse(text, out _));

    [Fact]
    public void Ordering_is_lexicographic_by_arc()
    {
        var sorted = new[] { "1.3.6.1.2.1.2.2.1.10.1", "1.3.6.1.2.1.2.2.1.2.1", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.1.4" }
            .Select(Oid.Parse).Order().Select(o => o.ToString()).ToArray();
        Assert.Equal(["1.3.6.1.2.1.2.2.1.1.4", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.2.1", "1.3.6.1.2.1.2.2.1.10.1"], sorted);
    }

    [Fact]
    public void Descendant_check_excludes_the_root_itself_and_siblings()
    {
        var root = Oid.Parse("1.3.6.1.2.1.2.2");
        Assert.True(Oid.Parse("1.3.6.1.2.1.2.2.1.1.1").IsDescendantOf(root));
        Assert.False(root.IsDescendantOf(root));
        Assert.False(Oid.Parse("1.3.6.1.2.1.2.3").IsDescendantOf(root));
        Assert.False(Oid.Parse("1.3.6.1.2.1.2.20.1").IsDescendantOf(root));
    }

    [Fact]
    public void Equal_oids_hash_alike_and_work_as_dictionary_keys()
    {
        var map = new Dictionary<Oid, int> { [Oid.Parse("1.3.6.1.2.1.1.1.0")] = 1 };
        Assert.Equal(1, map[Oid.Parse("1.3.6.1.2.1.1.1.0")]);
        Assert.False(map.ContainsKey(Oid.Parse("1.3.6.1.2.1.1.1")));
    }

    [Fact]
    public void Compare_equals_and_hash_do_not_allocate()
    {
        var a = Oid.Parse("1.3.6.1.2.1.2.2.1.10.1000");
        var b = Oid.Parse("1.3.6.1.2.1.2.2.1.10.1001");
        var sum = 0;
        sum += a.CompareTo(b) + (a == b ? 1 : 0) + a.GetHashCode(); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            sum += a.CompareTo(b) + (a.Equals(b) ? 1 : 0) + (b.IsDescendantOf(a) ? 1 : 0) + (a.GetHashCode() & 1);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(int.MinValue, sum);
    }
}
