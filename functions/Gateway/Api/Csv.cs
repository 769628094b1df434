using System.Text;

namespace Gateway.Api;

/// <summary>
/// RFC 4180 CSV cells and rows. Cells that a spreadsheet would run as a formula (starting with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, tab or carriage return) get a leading apostrophe, so merchant-supplied text in an export
/// stays text when opened in Excel.
/// </summary>
public static class Csv
{
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.AsSpan().IndexOfAny("\",\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>One record, CRLF-terminated as the RFC says.</summary>
    public static string Row(IEnumerable<string?> cells)
    {
        var line = new StringBuilder();
        foreach (var cell in cells)
        {
            if (line.Length > 0) line.Append(',');
            line.Append(Cell(cell));
        }
        return line.Append("\r\n").ToString();
    }
}
