using System.Net.Http.Headers;
using System.Text;
using Gateway.Storage.Internal;

namespace Gateway.Storage.Tests;

/// <summary>The exact strings signed; the Azurite tests prove the service computes the same ones.</summary>
public sealed class SharedKeySignerTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("not-a-real-key");

    [Fact]
    public void TableFormatSignsTheEncodedPathAndOnlyComp()
    {
        var request = new HttpRequestMessage(
            HttpMethod.Put,
            new Uri("http://127.0.0.1:10002/devstoreaccount1/" + TableNames.EntityPath("Orders", "O'Brien +50% Zoë", "r") + "?$filter=x&comp=list"))
        {
            Content = new ByteArrayContent([1]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sat, 21 Nov 2026 08:00:00 GMT");

        var signed = new SharedKeySigner("devstoreaccount1", Key, SigningFormat.Table).StringToSign(request);

        Assert.Equal(
            "PUT\n\napplication/json\nSat, 21 Nov 2026 08:00:00 GMT\n" +
            "/devstoreaccount1/devstoreaccount1/Orders(PartitionKey='O%27%27Brien%20%2B50%25%20Zo%C3%AB',RowKey='r')?comp=list",
            signed);
    }

    [Fact]
    public void QueueFormatSignsHeadersAndDecodedSortedQueryParameters()
    {
        var request = new HttpRequestMessage(
            HttpMethod.Delete,
            new Uri("https://acct.queue.core.windows.net/jobs/messages/id-1?popreceipt=AgAAAAMAAAAAAAAAAgtnj8x%2B1QE%3D&A=2&a=1"));
        request.Headers.TryAddWithoutValidation("x-ms-version", "2021-12-02");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sat, 21 Nov 2026 08:00:00 GMT");

        var signed = new SharedKeySigner("acct", Key, SigningFormat.Queue).StringToSign(request);

        Assert.Equal(
            "DELETE\n\n\n\n\n\n\n\n\n\n\n\n" +
            "x-ms-date:Sat, 21 Nov 2026 08:00:00 GMT\nx-ms-version:2021-12-02\n" +
            "/acct/jobs/messages/id-1\na:1,2\npopreceipt:AgAAAAMAAAAAAAAAAgtnj8x+1QE=",
            signed);
    }

    [Fact]
    public void QueueFormatSignsTheContentLengthAndTypeHttpClientSends()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("https://acct.queue.core.windows.net/jobs/messages"))
        {
            Content = new ByteArrayContent(new byte[42]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");

        var signed = new SharedKeySigner("acct", Key, SigningFormat.Queue).StringToSign(request);

        Assert.StartsWith("POST\n\n\n42\n\napplication/xml\n", signed, StringComparison.Ordinal);
    }

    [Fact]
    public void SigningAddsASharedKeyAuthorizationHeader()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("https://acct.table.core.windows.net/Tables"));

        new SharedKeySigner("acct", Key, SigningFormat.Table).Sign(request);

        Assert.Matches("^SharedKey acct:[A-Za-z0-9+/]{43}=$", request.Headers.GetValues("Authorization").Single());
    }
}
