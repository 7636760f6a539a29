using System.Globalization;

namespace Dylink.Fuzz;

/// <summary>The command line.</summary>
internal sealed class Options
{
    public const string Usage = """
        Fuzzes the Dylink reader and link planner: every input must parse/plan or fail with a DylinkException,
        within a time budget and an allocation bound; and the run-time linker: random Open/Close/Symbol/call/
        Rebind/Restore/Reload/Describe sequences over generated libraries must keep its invariants. Replays fuzz/corpus first; writes findings to fuzz/findings/.

        usage: dotnet run -c Release --project fuzz/Dylink.Fuzz -- [options]

          --inputs N          stop after N inputs in all (default 100000 unless --seconds is given)
          --seconds S         stop after S seconds (with --inputs: whichever comes first)
          --seed X            run seed, decimal or 0x-hex (default: random; printed); input #i of a run is a
                              function of (seed, i) only, whatever the thread count
          --target NAME       only one target: parse-mutated, parse-generated, link or runtime (the run-time
                              linker: generated libraries driven through DynamicLinker, invariants checked)
          --runtime-inputs N  without --target: after the other targets, N runtime inputs (default 2000; 0: none)
          --threads T         worker threads (default: processor count)
          --timeout-ms MS     per-input time budget; an input over it is reported as a hang (default 5000)
          --alloc-factor K    allocation bound K × input bytes + slack (default 64)
          --alloc-slack-mb M  the slack, in MiB (default 1)
          --replay FILE...    run the given inputs (.wasm, .link) and report each; nothing else
          --dump DIR          write the inputs the run would draw (--inputs, --seed, --target) to DIR instead of running them
          --outcomes          list every distinct outcome with its count after the run
          --minimize          with --replay: also shrink each input, keeping its finding (or its outcome), to FILE.min.EXT
          --save-corpus       after the run, add to fuzz/corpus a minimized input for each outcome not yet covered
          --no-corpus         skip the corpus and fixture replay
          --no-fork           run in this process (by default a child process runs the inputs, so that an abort
                              is caught and its input kept)
          --help              this text

        Exit code: 0 no finding, 1 findings (crash, hang, allocation overrun, abort), 2 usage or setup error
        (3 for a hang with --no-fork or --replay, where no parent process turns it into 1).
        """;

    public long? Inputs { get; private set; }

    public double? Seconds { get; private set; }

    public ulong Seed { get; private set; } = (ulong)Environment.TickCount64 ^ (ulong)Guid.NewGuid().GetHashCode() << 20;

    public string? Target { get; private set; }

    /// <summary>Runtime inputs run after the other targets when no target is chosen.</summary>
    public long RuntimeInputs { get; private set; } = 2000;

    public int Threads { get; private set; } = Environment.ProcessorCount;

    public int TimeoutMs { get; private set; } = 5000;

    public long AllocFactor { get; private set; } = 64;

    public long AllocSlack { get; private set; } = 1 << 20;

    public List<string> Replay { get; } = [];

    public bool SaveCorpus { get; private set; }

    public bool Outcomes { get; private set; }

    public bool Minimize { get; private set; }

    public string? Dump { get; private set; }

    public bool NoCorpus { get; private set; }

    public bool NoFork { get; private set; }

    /// <summary>Set by the supervising parent on its child.</summary>
    public bool Worker { get; private set; }

    public bool Help { get; private set; }

    /// <summary>The number of inputs to run: the given one, else 100000 unless a time limit is given.</summary>
    public long InputLimit => Inputs ?? (Seconds is null ? 100_000 : long.MaxValue);

    /// <exception cref="ArgumentException">An option is unknown or its value is invalid.</exception>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--inputs":
                    o.Inputs = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    o.Seconds = double.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--seed":
                    var s = Value();
                    o.Seed = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                        ? ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                        : ulong.Parse(s, CultureInfo.InvariantCulture);
                    break;
                case "--target":
                    o.Target = Value();
                    if (o.Target is not ("parse-mutated" or "parse-generated" or "link" or "runtime"))
                    {
                        throw new ArgumentException($"unknown target {o.Target}");
                    }

                    break;
                case "--runtime-inputs":
                    o.RuntimeInputs = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--threads":
                    o.Threads = Math.Max(1, int.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--timeout-ms":
                    o.TimeoutMs = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--alloc-factor":
                    o.AllocFactor = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--alloc-slack-mb":
                    o.AllocSlack = long.Parse(Value(), CultureInfo.InvariantCulture) << 20;
                    break;
                case "--replay":
                    while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        o.Replay.Add(args[++i]);
                    }

                    if (o.Replay.Count == 0)
                    {
                        throw new ArgumentException("--replay needs at least one file");
                    }

                    break;
                case "--dump":
                    o.Dump = Value();
                    break;
                case "--minimize":
                    o.Minimize = true;
                    break;
                case "--outcomes":
                    o.Outcomes = true;
                    break;
                case "--save-corpus":
                    o.SaveCorpus = true;
                    break;
                case "--no-corpus":
                    o.NoCorpus = true;
                    break;
                case "--no-fork":
                    o.NoFork = true;
                    break;
                case "--worker":
                    o.Worker = true;
                    break;
                case "--help" or "-h":
                    o.Help = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return o;
    }
}
