using System.Xml;
using System.Xml.Linq;

namespace Gateway.Storage.Internal;

/// <summary>Loads service XML with DTDs prohibited, so a hostile body can't expand entities or fetch resources.</summary>
internal static class SafeXml
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
    };

    public static XDocument Load(string xml)
    {
        using var text = new StringReader(xml);
        using var reader = XmlReader.Create(text, Settings);
        return XDocument.Load(reader);
    }
}
