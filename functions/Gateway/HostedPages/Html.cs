using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;

namespace Gateway.HostedPages;

/// <summary>
/// A piece of HTML that is safe to send as it is: literal template text, with every interpolated value
/// HTML-encoded unless it is itself <see cref="Markup"/>. Pages are only ever built this way, so merchant text
/// (references, organisation names) and query values cannot become markup.
/// </summary>
public readonly record struct Markup(string Value)
{
    public static readonly Markup Empty = new("");

    public override string ToString() => Value;
}

/// <summary>Builds <see cref="Markup"/> from an interpolated string, encoding each hole (see <see cref="Html.Of"/>).</summary>
[InterpolatedStringHandler]
public ref struct MarkupHandler(int literalLength, int formattedCount)
{
    private DefaultInterpolatedStringHandler _inner = new(literalLength, formattedCount, CultureInfo.InvariantCulture);

    public void AppendLiteral(string literal) => _inner.AppendLiteral(literal);

    public void AppendFormatted(Markup markup) => _inner.AppendLiteral(markup.Value);

    public void AppendFormatted(string? text) => _inner.AppendLiteral(WebUtility.HtmlEncode(text ?? ""));

    public void AppendFormatted(long number) => _inner.AppendLiteral(number.ToString(CultureInfo.InvariantCulture));

    public string ToStringAndClear() => _inner.ToStringAndClear();
}

public static class Html
{
    /// <summary><c>Html.Of($"&lt;p&gt;{text}&lt;/p&gt;")</c>: the template's text as written, each value encoded.</summary>
    public static Markup Of(ref MarkupHandler handler) => new(handler.ToStringAndClear());

    public static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public static Markup When(bool condition, Markup markup) => condition ? markup : Markup.Empty;

    /// <summary>A hidden form field.</summary>
    public static Markup Hidden(string name, string? value) => Of($"<input type=\"hidden\" name=\"{name}\" value=\"{value}\">");

    /// <summary>A message shown next to a form (a validation problem), announced to screen readers.</summary>
    public static Markup Problem(string? message) =>
        message is null ? Markup.Empty : Of($"<p class=\"problem\" role=\"alert\">{message}</p>");
}
