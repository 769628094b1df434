using System.Net;
using System.Net.Sockets;
using Gateway.Identity;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Webhooks;

/// <summary>The request forgery guard on its own, with a resolver the test controls: no traffic leaves the machine.</summary>
public sealed class WebhookGuardTests
{
    private static WebhookUrls Guard(bool allowLoopback = false, Dictionary<string, IPAddress[]>? hosts = null) => new(
        (host, _) => hosts?.TryGetValue(host, out var a) == true ? Task.FromResult(a) : throw new SocketException((int)SocketError.HostNotFound),
        Options.Create(new WebhookOptions { AllowLoopback = allowLoopback }));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a00:1")]         // NAT64 to 10.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe")]     // NAT64 to 169.254.169.254
    [InlineData("64:ff9b:1::7f00:1")]      // local-use NAT64 prefix to 127.0.0.1
    [InlineData("2002:a00:1::1")]          // 6to4 of 10.0.0.1
    [InlineData("::a00:1")]                // IPv4-compatible 10.0.0.1
    [InlineData("::ffff:0:a9fe:a9fe")]     // IPv4-translated 169.254.169.254 (the metadata address)
    [InlineData("::ffff:0:7f00:1")]        // IPv4-translated 127.0.0.1
    [InlineData("::ffff:0:a00:1")]         // IPv4-translated 10.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo
    public void InternalAddressesAreRefused(string address) => Assert.False(Guard().IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("64:ff9b::808:808")]       // NAT64 to 8.8.8.8
    [InlineData("2002:808:808::1")]        // 6to4 of 8.8.8.8
    [InlineData("::ffff:0:808:808")]       // IPv4-translated 8.8.8.8
    public void PublicAddressesAreAllowed(string address) => Assert.True(Guard().IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void AllowingLoopbackAllowsOnlyLoopback()
    {
        var guard = Guard(allowLoopback: true);
        Assert.True(guard.IsAllowed(IPAddress.Loopback));
        Assert.True(guard.IsAllowed(IPAddress.IPv6Loopback));
        Assert.False(guard.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("169.254.169.254")));
    }

    [Fact]
    public async Task LocalhostIsRefusedUnlessLoopbackIsAllowed()
    {
        var hosts = new Dictionary<string, IPAddress[]> { ["localhost"] = [IPAddress.Loopback, IPAddress.IPv6Loopback] };
        await Assert.ThrowsAsync<WebhookRefusedException>(() => Guard(hosts: hosts).AllowedAddressesAsync("localhost", CancellationToken.None));
        Assert.Equal(2, (await Guard(allowLoopback: true, hosts: hosts).AllowedAddressesAsync("localhost", CancellationToken.None)).Length);
    }

    [Fact]
    public async Task AHostWithAnyInternalAddressIsRefused()
    {
        var hosts = new Dictionary<string, IPAddress[]> { ["mixed.test"] = [IPAddress.Parse("203.0.113.5"), IPAddress.Parse("192.168.0.10")] };
        var refused = await Assert.ThrowsAsync<WebhookRefusedException>(() => Guard(hosts: hosts).AllowedAddressesAsync("mixed.test", CancellationToken.None));
        Assert.Contains("192.168.0.10", refused.Message);
    }

    [Theory]
    [InlineData("https://shop.example/hook", false, null)]
    [InlineData("http://shop.example/hook", false, null)]
    [InlineData("http://shop.example/hook", true, "https")]
    [InlineData("gopher://shop.example/", false, "http or https")]
    [InlineData("file:///etc/passwd", false, "http or https")]
    [InlineData("https://a:b@shop.example/", false, "user name")]
    public void UrlShapesAreCheckedBeforeResolving(string url, bool live, string? problem)
    {
        var found = WebhookUrls.ShapeProblem(url, live);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
    }

    [Theory]
    [InlineData("1m,5m,30m,2h,6h,12h,24h,24h,24h", 9)]
    [InlineData("500ms, 1s", 2)]
    [InlineData("1d", 1)]
    public void RetrySchedulesParse(string text, int count) => Assert.Equal(count, WebhookOptions.ParseSchedule(text)!.Count);

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("0s")]
    [InlineData("8d")]
    [InlineData("1m,,2m")]
    public void BadRetrySchedulesAreRefused(string text) => Assert.Null(WebhookOptions.ParseSchedule(text));

    [Fact]
    public void TheDefaultScheduleSpansAtLeastThreeDays()
    {
        var delays = WebhookOptions.ParseSchedule(WebhookOptions.DefaultRetrySchedule)!;
        Assert.True(delays.Aggregate(TimeSpan.Zero, (a, b) => a + b) * 0.8 >= TimeSpan.FromDays(3));
    }
}
