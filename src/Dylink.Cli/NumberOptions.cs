using System.CommandLine;
using System.Globalization;

namespace Dylink.Cli;

/// <summary>
/// Options that take a number. Each is parsed here rather than by System.CommandLine's converters, so that a negative,
/// NaN, infinite or overflowing value is a usage error that names the option, the value and the accepted range, and
/// never reaches the runtime (where <c>TimeSpan.FromSeconds(NaN)</c> or a negative memory limit would throw).
/// </summary>
internal static class NumberOptions
{
    /// <summary>The longest <c>--timeout</c>: about 31 years, far inside what a <see cref="DateTime"/> deadline can hold.</summary>
    public const double MaxSeconds = 1e9;

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="what"/> names the
    /// unit in the error message ("a number of bytes", "a whole number").</summary>
    public static Option<long?> Whole(string name, string description, string helpName, string what, long min, long max) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            // Digits only: no sign, spaces, separators or exponent, so what is accepted is what it looks like.
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name}: '{text}' is not {what} between {min} and {max}"));
            return null;
        },
    };

    /// <summary>A number of seconds, more than 0 and at most <see cref="MaxSeconds"/>.</summary>
    public static Option<double?> Seconds(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
            // 0 is refused rather than given a meaning: GNU timeout reads it as "no limit", a deadline as "stop at once".
            if (double.TryParse(text, style, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > 0 && value <= MaxSeconds)
            {
                return value;
            }

            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name}: '{text}' is not a number of seconds greater than 0 and at most {MaxSeconds:0}"));
            return null;
        },
    };
}
