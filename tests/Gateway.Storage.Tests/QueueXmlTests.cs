namespace Gateway.Storage.Tests;

public sealed class QueueXmlTests
{
    [Fact]
    public void DocumentTypeDefinitionsAreRefused()
    {
        const string hostile =
            "<?xml version=\"1.0\"?><!DOCTYPE q [<!ENTITY x \"boom\">]>" +
            "<QueueMessagesList><QueueMessage><MessageText>&x;</MessageText></QueueMessage></QueueMessagesList>";

        var error = Assert.Throws<StorageException>(() => QueueXml.ParseMessages(hostile));

        Assert.IsType<System.Xml.XmlException>(error.InnerException);
    }

    [Fact]
    public void MessageTextIsEscapedInTheRequestBody()
    {
        var body = System.Text.Encoding.UTF8.GetString(QueueXml.MessageBody("<a & 'b'>"));

        Assert.Contains("<MessageText>&lt;a &amp; 'b'&gt;</MessageText>", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aGVsbG8=", "hello")]
    [InlineData("not base64!", null)]
    [InlineData("/w==", null)]
    [InlineData("", "")]
    public void TextDecodesOnlyBase64OfValidUtf8(string raw, string? text)
    {
        var message = new QueueMessage("id", null, 0, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, raw);

        Assert.Equal(text, message.Text);
        Assert.Equal("hello", (message with { RawText = "aGVsbG8=" }).Text);
    }
}
