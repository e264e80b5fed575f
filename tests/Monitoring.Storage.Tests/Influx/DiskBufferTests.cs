using System.Text;
using Monitoring.Storage.Influx;

namespace Monitoring.Storage.Tests.Influx;

public sealed class DiskBufferTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-buffer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Records_come_back_in_the_order_they_were_written_across_segments()
    {
        using var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20, segmentBytes: 200);
        for (var i = 0; i < 50; i++)
        {
            buffer.Append(Body(i), points: i + 1);
        }

        Assert.True(Directory.GetFiles(_directory, "*.seg").Length > 5);
        Assert.Equal(Enumerable.Range(1, 50).Sum(), buffer.PointsBuffered);
        for (var i = 0; i < 50; i++)
        {
            Assert.True(buffer.TryPeek(out var record, out var body));
            Assert.Equal(Body(i), body);
            Assert.Equal(i + 1, record.Points);
            buffer.Remove(record);
        }

        Assert.False(buffer.TryPeek(out _, out _));
        Assert.Equal(0, buffer.BytesBuffered);
        Assert.Single(Directory.GetFiles(_directory, "*.seg"));
    }

    [Fact]
    public void The_oldest_age_is_how_long_the_first_unsent_record_has_waited()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 1, 0, 0, TimeSpan.Zero));
        using (var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20, time: time))
        {
            Assert.Equal(TimeSpan.Zero, buffer.OldestAge);
            buffer.Append(Body(0), points: 1);
            time.Advance(TimeSpan.FromSeconds(30));
            buffer.Append(Body(1), points: 1);
            time.Advance(TimeSpan.FromSeconds(12));
            Assert.Equal(TimeSpan.FromSeconds(42), buffer.OldestAge);

            // the first one sent: the age is the next one's
            Assert.True(buffer.TryPeek(out var first, out _));
            buffer.Remove(first);
            Assert.Equal(TimeSpan.FromSeconds(12), buffer.OldestAge);
        }

        // after a restart, a record found in a segment is at least as old as the file's last write
        File.SetLastWriteTimeUtc(Directory.GetFiles(_directory, "*.seg").Single(), time.GetUtcNow().UtcDateTime.AddMinutes(-5));
        using var reopened = new DiskBuffer(_directory, maxBytes: 1 << 20, time: time);
        Assert.Equal(1, reopened.PointsBuffered);
        Assert.Equal(TimeSpan.FromMinutes(5), reopened.OldestAge);
        Assert.True(reopened.TryPeek(out var record, out _));
        reopened.Remove(record);
        Assert.Equal(TimeSpan.Zero, reopened.OldestAge);
    }

    [Fact]
    public void A_restart_resumes_at_the_first_unsent_record_without_repeats_or_gaps()
    {
        using (var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20, segmentBytes: 300))
        {
            for (var i = 0; i < 40; i++)
            {
                buffer.Append(Body(i), points: 1);
            }

            for (var i = 0; i < 17; i++)
            {
                Assert.True(buffer.TryPeek(out var record, out _));
                buffer.Remove(record);
            }
        }

        using (var reopened = new DiskBuffer(_directory, maxBytes: 1 << 20, segmentBytes: 300))
        {
            Assert.Equal(23, reopened.RecordsBuffered);
            reopened.Append(Body(40), points: 1);
            for (var i = 17; i <= 40; i++)
            {
                Assert.True(reopened.TryPeek(out var record, out var body));
                Assert.Equal(Body(i), body);
                reopened.Remove(record);
            }

            Assert.True(reopened.IsEmpty);
        }
    }

    [Fact]
    public void At_the_bound_the_oldest_segment_is_dropped_and_its_points_counted()
    {
        var recordBytes = 12 + Body(0).Length;
        using var buffer = new DiskBuffer(_directory, maxBytes: 10 * recordBytes, segmentBytes: 2 * recordBytes);
        for (var i = 0; i < 30; i++)
        {
            buffer.Append(Body(i), points: 10);
        }

        Assert.True(buffer.BytesBuffered <= 10 * recordBytes);
        var kept = buffer.RecordsBuffered;
        Assert.Equal((30 - kept) * 10, buffer.PointsDropped);
        var first = 30 - kept;
        for (var i = first; i < 30; i++)
        {
            Assert.True(buffer.TryPeek(out var record, out var body));
            Assert.Equal(Body(i), body);
            buffer.Remove(record);
        }
    }

    [Fact]
    public void A_torn_record_at_the_tail_is_cut_and_appends_continue_after_the_last_whole_one()
    {
        using (var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20))
        {
            for (var i = 0; i < 3; i++)
            {
                buffer.Append(Body(i), points: 1);
            }
        }

        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        var length = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(length - 3);
        }

        using var reopened = new DiskBuffer(_directory, maxBytes: 1 << 20);
        Assert.Equal(2, reopened.RecordsBuffered);
        reopened.Append(Body(9), points: 1);
        foreach (var expected in new[] { 0, 1, 9 })
        {
            Assert.True(reopened.TryPeek(out var record, out var body));
            Assert.Equal(Body(expected), body);
            reopened.Remove(record);
        }
    }

    [Fact]
    public void A_corrupt_record_is_detected_by_its_crc()
    {
        using (var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20))
        {
            buffer.Append(Body(0), points: 1);
            buffer.Append(Body(1), points: 1);
        }

        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^2] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        using var reopened = new DiskBuffer(_directory, maxBytes: 1 << 20);
        Assert.Equal(1, reopened.RecordsBuffered);
        Assert.True(reopened.TryPeek(out _, out var body));
        Assert.Equal(Body(0), body);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(1 << 20)]
    public void Bodies_kept_in_memory_or_not_come_back_the_same_and_the_files_hold_them_all(long memoryBytes)
    {
        using (var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20, segmentBytes: 200, memoryBytes: memoryBytes))
        {
            for (var i = 0; i < 20; i++)
            {
                buffer.AppendOwned(Body(i), points: 1);
            }

            for (var i = 0; i < 10; i++)
            {
                Assert.True(buffer.TryPeek(out var record, out var body));
                Assert.Equal(Body(i), body);
                buffer.Remove(record);
            }
        }

        // what was not sent is in the files, whether it was also held in memory or not
        using var reopened = new DiskBuffer(_directory, maxBytes: 1 << 20, segmentBytes: 200, memoryBytes: memoryBytes);
        for (var i = 10; i < 20; i++)
        {
            Assert.True(reopened.TryPeek(out var record, out var body));
            Assert.Equal(Body(i), body);
            reopened.Remove(record);
        }

        Assert.False(reopened.TryPeek(out _, out _));
    }

    private static byte[] Body(int i) => Encoding.UTF8.GetBytes($"m,机房=一 f={i}i {i:D6}\n");

    [Fact]
    public void The_journal_LSN_is_that_of_the_last_record_that_reached_the_file()
    {
        using (var buffer = new DiskBuffer(_directory, maxBytes: 1 << 20))
        {
            buffer.Append("a v=1 1\n"u8, 1, lsn: 5);
            buffer.Append("a v=2 2\n"u8, 1, lsn: 6);
            Assert.Equal(6, buffer.AppendedLsn);
        }

        using (var reopened = new DiskBuffer(_directory, maxBytes: 1 << 20))
        {
            Assert.Equal(6, reopened.AppendedLsn);
        }

        // a crash after the note of LSN 6 but before its record was whole: the record is cut off, the LSN falls back to 5
        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        using var afterCrash = new DiskBuffer(_directory, maxBytes: 1 << 20);
        Assert.Equal(5, afterCrash.AppendedLsn);
        Assert.Equal(1, afterCrash.RecordsBuffered);
    }
}
