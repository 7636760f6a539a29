using Dylink.Format;

namespace Dylink.Runtime;

/// <summary>A typed delegate was asked for a function whose wasm signature is another: the message names both.</summary>
public sealed class SignatureMismatchException : DylinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="symbol">The function.</param>
    /// <param name="actual">Its signature.</param>
    /// <param name="asked">The signature the delegate's types stand for, as text.</param>
    public SignatureMismatchException(string symbol, FuncType actual, string asked)
        : base(symbol, $"{symbol} has signature {actual}, not {asked} as asked")
    {
        Symbol = symbol;
        Actual = actual;
    }

    /// <summary>The function.</summary>
    public string Symbol { get; }

    /// <summary>Its signature.</summary>
    public FuncType Actual { get; }
}
