using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>The Queue service's XML bodies: the Put Message request and the QueueMessagesList responses.</summary>
internal static class QueueXml
{
    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        OmitXmlDeclaration = false,
    };

    /// <summary>The message body, escaped by XmlWriter (which rejects characters XML can't carry).</summary>
    public static byte[] MessageBody(string messageText)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, WriterSettings))
        {
            writer.WriteStartElement("QueueMessage");
            writer.WriteElementString("MessageText", messageText);
            writer.WriteEndElement();
        }
        return buffer.ToArray();
    }

    public static QueueSendReceipt ParseSendReceipt(string xml) => Parse(xml, messages =>
    {
        var message = messages.FirstOrDefault()
            ?? throw new StorageException(201, null, "The Put Message response holds no message.");
        return new QueueSendReceipt(
            Required(message, "MessageId"),
            Required(message, "PopReceipt"),
            Time(Required(message, "InsertionTime")),
            Time(Required(message, "ExpirationTime")),
            Time(Required(message, "TimeNextVisible")));
    });

    public static IReadOnlyList<QueueMessage> ParseMessages(string xml) => Parse(xml, messages => messages
        .Select(m => new QueueMessage(
            Required(m, "MessageId"),
            m.Element("PopReceipt")?.Value,
            long.Parse(Required(m, "DequeueCount"), NumberStyles.None, CultureInfo.InvariantCulture),
            Time(Required(m, "InsertionTime")),
            Time(Required(m, "ExpirationTime")),
            m.Element("TimeNextVisible")?.Value is { } next ? Time(next) : null,
            m.Element("MessageText")?.Value ?? ""))
        .ToArray());

    public static DateTimeOffset Time(string rfc1123) =>
        DateTimeOffset.ParseExact(rfc1123, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static T Parse<T>(string xml, Func<IEnumerable<XElement>, T> read)
    {
        try
        {
            var root = SafeXml.Load(xml).Root;
            return root?.Name.LocalName == "QueueMessagesList"
                ? read(root.Elements("QueueMessage"))
                : throw new StorageException(200, null, "The queue response is not a QueueMessagesList.");
        }
        catch (Exception exception) when (exception is XmlException or FormatException or OverflowException)
        {
            throw new StorageException(200, null, "The queue response is not readable XML.", exception);
        }
    }

    private static string Required(XElement message, string name) =>
        message.Element(name)?.Value ?? throw new StorageException(200, null, $"A queue message in the response has no {name}.");
}
