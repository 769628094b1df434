namespace Gateway.Storage.Tests;

public sealed class StorageAccountTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Fact]
    public void DevelopmentStorageShortcutUsesAzuriteDefaults()
    {
        var account = StorageAccount.Parse(" usedevelopmentstorage = TRUE ; ");

        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal(Convert.FromBase64String(Key), account.AccountKey);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1/"), account.TableEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1/"), account.QueueEndpoint);
    }

    [Fact]
    public void AccountAndSuffixBuildServiceHostNames()
    {
        var account = StorageAccount.Parse($"DefaultEndpointsProtocol=https;AccountName=payments;AccountKey={Key};EndpointSuffix=core.windows.net");

        Assert.Equal("payments", account.AccountName);
        Assert.Equal(new Uri("https://payments.table.core.windows.net/"), account.TableEndpoint);
        Assert.Equal(new Uri("https://payments.queue.core.windows.net/"), account.QueueEndpoint);
    }

    [Fact]
    public void ProtocolAndSuffixDefaultToHttpsAndPublicCloud()
    {
        var account = StorageAccount.Parse($"AccountName=payments;AccountKey={Key}");

        Assert.Equal(new Uri("https://payments.table.core.windows.net/"), account.TableEndpoint);
    }

    [Fact]
    public void ExplicitEndpointsWinOverTheSuffixAndGainATrailingSlash()
    {
        var account = StorageAccount.Parse(
            $"accountname=devstoreaccount1;ACCOUNTKEY={Key};EndpointSuffix=core.windows.net;" +
            "TableEndpoint=http://127.0.0.1:5555/devstoreaccount1;QueueEndpoint=http://localhost:5556/devstoreaccount1/;;");

        Assert.Equal(new Uri("http://127.0.0.1:5555/devstoreaccount1/"), account.TableEndpoint);
        Assert.Equal(new Uri("http://localhost:5556/devstoreaccount1/"), account.QueueEndpoint);
    }

    [Theory]
    [InlineData("AccountName=payments", "AccountKey")]
    [InlineData("AccountKey=" + Key, "AccountName")]
    [InlineData("AccountName=payments;AccountKey=" + Key + ";DefaultEndpointsProtocol=ftp", "DefaultEndpointsProtocol")]
    [InlineData("AccountName=payments;AccountKey=" + Key + ";TableEndpoint=not a url", "TableEndpoint")]
    [InlineData("AccountName=payments;AccountKey=" + Key + ";AccountName=other", "more than once")]
    [InlineData("UseDevelopmentStorage=false", "UseDevelopmentStorage")]
    [InlineData("", "empty")]
    public void BadConnectionStringsNameTheProblem(string connectionString, string expected)
    {
        var error = Assert.Throws<FormatException>(() => StorageAccount.Parse(connectionString));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedKeyIsReportedWithoutEchoingIt()
    {
        const string secret = "not-base64!secret-material";

        var error = Assert.Throws<FormatException>(() => StorageAccount.Parse($"AccountName=payments;AccountKey={secret}"));

        Assert.Contains("AccountKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SegmentWithoutEqualsIsNotEchoed()
    {
        var error = Assert.Throws<FormatException>(() => StorageAccount.Parse($"AccountName=payments;{Key[..20]}"));

        Assert.DoesNotContain(Key[..20], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToStringLeavesTheKeyOut()
    {
        var account = StorageAccount.Parse($"AccountName=payments;AccountKey={Key}");

        var text = account.ToString();

        Assert.Contains("payments", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", text, StringComparison.Ordinal);
    }
}
