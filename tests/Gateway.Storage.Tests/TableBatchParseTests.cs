namespace Gateway.Storage.Tests;

/// <summary>Batch responses in shapes Azurite doesn't produce, for the fallbacks the cloud may need.</summary>
public sealed class TableBatchParseTests
{
    private static readonly TableOperation[] Operations =
    [
        TableOperation.Insert(new TableEntity("p", "1")),
        TableOperation.Insert(new TableEntity("p", "2")),
        TableOperation.Delete("p", "3"),
    ];

    [Fact]
    public void IndexComesFromTheMessagePrefix()
    {
        var result = TableBatch.Parse(ErrorPart(409, "EntityAlreadyExists", "1:The specified entity already exists.", contentId: null), Operations, null);

        Assert.Equal((false, 1, TableStatus.Conflict, "EntityAlreadyExists"), (result.Succeeded, result.FailedIndex, result.FailedStatus, result.ErrorCode));
    }

    [Fact]
    public void IndexFallsBackToContentId()
    {
        var result = TableBatch.Parse(ErrorPart(412, "UpdateConditionNotSatisfied", "The condition was not met.", contentId: 3), Operations, null);

        Assert.Equal((2, TableStatus.PreconditionFailed), (result.FailedIndex, result.FailedStatus));
    }

    [Fact]
    public void IndexIsUnknownWhenTheResponseDoesNotSay()
    {
        var result = TableBatch.Parse(ErrorPart(404, "ResourceNotFound", "Gone.", contentId: null), Operations, null);

        Assert.Equal((null, TableStatus.NotFound), (result.FailedIndex, result.FailedStatus));
    }

    [Fact]
    public void OtherFailuresThrowWithStatusAndCode()
    {
        var error = Assert.Throws<StorageException>(
            () => TableBatch.Parse(ErrorPart(400, "InvalidInput", "0:Bad value.", contentId: 1), Operations, null));

        Assert.Equal((400, "InvalidInput"), (error.Status, error.ErrorCode));
    }

    [Fact]
    public void SuccessPartsWithBareLineFeedsGiveETagsInOrder()
    {
        var body = string.Join('\n',
            "--batchresponse_1", "Content-Type: multipart/mixed; boundary=changesetresponse_1", "",
            "--changesetresponse_1", "Content-Type: application/http", "", "HTTP/1.1 204 No Content", "ETag: W/\"one\"", "",
            "--changesetresponse_1", "Content-Type: application/http", "", "HTTP/1.1 204 No Content", "ETag: W/\"two\"", "",
            "--changesetresponse_1", "Content-Type: application/http", "", "HTTP/1.1 204 No Content", "",
            "--changesetresponse_1--", "--batchresponse_1--", "");

        var result = TableBatch.Parse(body, Operations, null);

        Assert.True(result.Succeeded);
        Assert.Equal(["W/\"one\"", "W/\"two\"", null], result.ETags);
    }

    private static string ErrorPart(int status, string code, string message, int? contentId) => string.Join("\r\n",
        "--batchresponse_1", "Content-Type: multipart/mixed; boundary=changesetresponse_1", "",
        "--changesetresponse_1", "Content-Type: application/http", "Content-Transfer-Encoding: binary", "",
        $"HTTP/1.1 {status} Whatever",
        contentId is null ? "X-Content-Type-Options: nosniff" : $"Content-ID: {contentId}",
        "Content-Type: application/json;odata=minimalmetadata;charset=utf-8", "",
        $"{{\"odata.error\":{{\"code\":\"{code}\",\"message\":{{\"lang\":\"en-US\",\"value\":\"{message}\\nRequestId:x\"}}}}}}",
        "--changesetresponse_1--", "--batchresponse_1--", "");
}
