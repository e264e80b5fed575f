using System.Diagnostics;
using System.Text;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>Runs mosquitto's command-line clients (Debian package mosquitto-clients) as processes.</summary>
internal sealed class MosquittoTool : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private MosquittoTool(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The tool's standard input (when started with input).</summary>
    public StreamWriter Input => _process.StandardInput;

    public int ExitCode => _process.ExitCode;

    public static MosquittoTool Start(string tool, params string[] args) => Start(tool, false, args);

    public static MosquittoTool Start(string tool, bool withInput, params string[] args)
    {
        var path = "/usr/bin/" + tool;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: install the Debian package 'mosquitto-clients' (apt-get install -y mosquitto-clients).");
        }

        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = withInput,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var tool2 = new MosquittoTool(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (tool2._stdout)
                {
                    tool2._stdout.AppendLine(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (tool2._stderr)
                {
                    tool2._stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tool2;
    }

    /// <summary>Runs a tool to its end (at most 20 s) and returns its exit code.</summary>
    public static async Task<MosquittoTool> RunAsync(string tool, params string[] args)
    {
        var run = Start(tool, args);
        await run.WaitAsync(TimeSpan.FromSeconds(20));
        return run;
    }

    public async Task WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not exit within {timeout.TotalSeconds} s; output: {Output} {Error}");
        }

        _process.WaitForExit(); // flushes the redirected output
    }

    /// <summary>SIGKILL: the TCP connection ends without a DISCONNECT.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
