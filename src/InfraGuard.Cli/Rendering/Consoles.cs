using Spectre.Console;

namespace InfraGuard.Cli.Rendering;

/// <summary>Spectre consoles over the context's writers: colour and Unicode only on a terminal, fixed width otherwise.</summary>
internal static class Consoles
{
    /// <summary>Width used when the output is not a terminal, so files and golden tests are stable.</summary>
    public const int PipeWidth = 120;

    public static IAnsiConsole Create(TextWriter writer, bool terminal, bool color)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Capabilities.Unicode = terminal;
        if (!terminal)
        {
            console.Profile.Width = PipeWidth;
        }

        return console;
    }
}
