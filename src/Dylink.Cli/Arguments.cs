using System.CommandLine;

namespace Dylink.Cli;

/// <summary>
/// Checks a command's own arguments before System.CommandLine sees them, as wasmtime's (clap's) parser does: a word
/// that starts with '-' and is no option of the command is an unknown option, named as such with the closest option
/// suggested. System.CommandLine would take it as the file argument and then blame the next word instead
/// (<c>run --preloda libutil.so main.wasm</c> said "Unrecognized command or argument 'libutil.so'").
/// </summary>
internal static class Arguments
{
    /// <summary>Whether <paramref name="option"/> takes a value (the word after it is not an option or argument).</summary>
    public static bool TakesValue(Option option) => option.ValueType != typeof(bool);

    /// <summary>
    /// Scans <paramref name="words"/> (a command's own words, its name excluded) for a help request and for the first
    /// word that looks like an option and is none of <paramref name="command"/>'s. Values of options are skipped, and
    /// so is everything after <c>--</c>. A help request wins, so that <c>--help</c> works on a line with a typo.
    /// </summary>
    /// <returns>Whether help was asked for, and the first unknown option (or null).</returns>
    public static (bool Help, string? Unknown) Scan(Command command, IReadOnlyList<string> words, IReadOnlySet<string> helpSpellings)
    {
        var options = Spellings(command);
        string? unknown = null;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word == "--")
            {
                break;
            }

            if (helpSpellings.Contains(word))
            {
                return (true, null);
            }

            if (word.Length < 2 || word[0] != '-')
            {
                continue;
            }

            if (options.TryGetValue(word, out var option))
            {
                i += TakesValue(option) ? 1 : 0;
            }
            else if (!IsAttachedForm(word, options))
            {
                unknown ??= word;
            }
        }

        return (false, unknown);
    }

    /// <summary>The spellings System.CommandLine also accepts: <c>--opt=value</c>, <c>--opt:value</c>, <c>-Lvalue</c>, bundled flags <c>-gn</c>.</summary>
    private static bool IsAttachedForm(string word, Dictionary<string, Option> options)
    {
        var separator = word.IndexOfAny(['=', ':']);
        if (separator > 0 && options.TryGetValue(word[..separator], out var named) && TakesValue(named))
        {
            return true;
        }

        if (word.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        if (options.TryGetValue(word[..2], out var first) && TakesValue(first))
        {
            return true;
        }

        return word.Skip(1).All(c => options.TryGetValue($"-{c}", out var flag) && !TakesValue(flag));
    }

    /// <summary>Every spelling of every option of <paramref name="command"/>.</summary>
    public static Dictionary<string, Option> Spellings(Command command)
    {
        var spellings = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var option in command.Options)
        {
            foreach (var name in option.Aliases.Prepend(option.Name))
            {
                spellings[name] = option;
            }
        }

        return spellings;
    }

    /// <summary>The candidate closest to <paramref name="word"/> if it is close enough to be a likely typo, else null.</summary>
    public static string? Suggest(string word, IEnumerable<string> candidates)
    {
        var bare = word.Split('=', 2)[0];
        if (bare.StartsWith('-') && bare.TrimStart('-').Length < 2)
        {
            // One letter is one edit from every other one-letter option: any suggestion would be a guess.
            return null;
        }

        // A third of the word may be wrong (at least one edit): "--preloda" -> "--preload", "rn" -> "run".
        var limit = Math.Max(1, bare.TrimStart('-').Length / 3);
        return candidates
            .Select(c => (Name: c, Distance: Distance(bare, c)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>Edit distance with adjacent transpositions counting as one edit (optimal string alignment).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
