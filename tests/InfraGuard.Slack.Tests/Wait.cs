namespace InfraGuard.Slack.Tests;

internal static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds (real time, at most 10 s).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 500; i++)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("Timed out waiting until " + what);
    }
}

internal static class Clock
{
    /// <summary>Advances a fake clock a second at a time (with a little real time between) until <paramref name="task"/> finishes.</summary>
    public static async Task<T> DriveAsync<T>(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock, Task<T> task)
    {
        for (var i = 0; i < 600 && !task.IsCompleted; i++)
        {
            await Task.WhenAny(task, Task.Delay(20));
            if (!task.IsCompleted)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }
        }

        return await task;
    }

    public static async Task DriveAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock, Task task) =>
        await DriveAsync(clock, task.ContinueWith(t => t.GetAwaiter().GetResult(), TaskScheduler.Default));
}
