namespace Dylink.Cli;

/// <summary>The <c>dylink</c> executable.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        // DYLINK_DEBUG=timing measures from here.
        Runtime.StepTimer.Origin();
        return DylinkCommand.Run(args, StandardStreams.Process, Terminal.Detect());
    }
}
