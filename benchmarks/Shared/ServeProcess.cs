using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace InfraGuard.Benchmarks;

/// <summary>The real <c>infraguard</c> executable as the load harnesses run it: the server as a child process, and one-shot commands.</summary>
internal static class ServeProcess
{
    /// <summary>Starts <c>infraguard serve</c> with <paramref name="arguments"/> and <paramref name="environment"/>, its output logged to <paramref name="logFile"/>.</summary>
    public static Process Start(string infraguard, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var start = new ProcessStartInfo(infraguard) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        var process = Process.Start(start)!;
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Waits until <c>/healthz</c> answers (<paramref name="seconds"/> at most).</summary>
    public static async Task WaitHealthyAsync(HttpClient client, string logFile, int seconds = 10)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            try
            {
                using var r = await client.GetAsync("/healthz");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"the server did not become healthy; see {logFile}");
    }

    /// <summary>Runs <paramref name="file"/> to completion; its stdout, or an exception with its stderr when it fails.</summary>
    public static string Run(string file, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({p.ExitCode}): {stderr}");
    }

    /// <summary>The resident set size of process <paramref name="pid"/> in bytes (0 once it is gone).</summary>
    public static long Rss(int pid) => StatusKb(pid, "VmRSS:");

    /// <summary>The peak resident set size of process <paramref name="pid"/> in bytes.</summary>
    public static long Hwm(int pid) => StatusKb(pid, "VmHWM:");

    private static long StatusKb(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>A free loopback port.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }
}
