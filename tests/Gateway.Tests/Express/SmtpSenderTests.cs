using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Express;

/// <summary>A mail server on loopback speaking just enough SMTP; it refuses its first <see cref="Refusals"/> messages with a 451.</summary>
public sealed class SmtpReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _messages;

    public SmtpReceiver(int refusals)
    {
        Refusals = refusals;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public int Refusals { get; }

    /// <summary>Accepted messages: the envelope and the DATA as sent (dot-stuffing undone).</summary>
    public ConcurrentQueue<(string From, string To, string Data)> Received { get; } = new();

    public int Attempts => Volatile.Read(ref _messages);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 localhost test SMTP");
        string from = "", to = "";
        while (await reader.ReadLineAsync() is { } line)
        {
            switch (line.Split(' ')[0].ToUpperInvariant())
            {
                case "EHLO" or "HELO" or "NOOP" or "RSET":
                    await writer.WriteLineAsync("250 localhost");
                    break;
                case "MAIL":
                    from = line;
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "RCPT":
                    to = line;
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } dataLine && dataLine != ".")
                    {
                        data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                    }
                    if (Interlocked.Increment(ref _messages) <= Refusals)
                    {
                        await writer.WriteLineAsync("451 Try again later");
                        break;
                    }
                    Received.Enqueue((from, to, data.ToString()));
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 Not implemented");
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

public sealed class SmtpApp : ExpressApp
{
    public SmtpApp()
    {
        Settings["Notifications:Email:Provider"] = "smtp";
        Settings["Notifications:Email:Smtp:Host"] = "127.0.0.1";
        Settings["Notifications:Email:Smtp:Port"] = Receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Settings["Notifications:Email:Smtp:EnableSsl"] = "false";
        Settings["Notifications:Email:Smtp:From"] = "payments@gateway.test";
    }

    public SmtpReceiver Receiver { get; } = new(refusals: 1);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>The SMTP sender against a real (if minimal) SMTP server on loopback.</summary>
public sealed class SmtpSenderTests(SmtpApp app) : IClassFixture<SmtpApp>
{
    [Fact]
    public async Task AnEmailWithItsAttachmentReachesTheMailServerAfterATemporaryRefusal()
    {
        using var merchant = await app.MerchantAsync();
        byte[] pdf = [.. "%PDF-1.7\n"u8, .. Enumerable.Range(0, 3000).Select(i => (byte)i)];
        var body = new MultipartFormDataContent
        {
            { new StringContent("31.00"), "amount" }, { new StringContent("smtp-ref"), "reference" }, { new StringContent("jondoe@domain.com"), "email" },
        };
        var file = new ByteArrayContent(pdf);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        body.Add(file, "files[]", "invoice.pdf");
        var created = await (await merchant.Client.PostAsync("/api/v1/express/email", body)).JsonAsync(200);

        await Eventually.HoldsAsync(() => !app.Receiver.Received.IsEmpty, "the mail server accepts the e-mail");
        Assert.Equal(2, app.Receiver.Attempts);
        var (from, to, data) = Assert.Single(app.Receiver.Received);
        Assert.Equal("MAIL FROM:<payments@gateway.test>", from);
        Assert.Equal("RCPT TO:<jondoe@domain.com>", to);
        Assert.Contains("To: jondoe@domain.com", data);
        var subject = data.Split("\r\n").Single(l => l.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..];
        // UTF-8 subjects may travel as an encoded word.
        var decoded = System.Text.RegularExpressions.Regex.Replace(subject, @"=\?utf-8\?B\?([^?]*)\?=",
            m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value)), System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        Assert.StartsWith("Payment request from Org ", decoded);
        var text = data.Replace("=\r\n", "", StringComparison.Ordinal);
        Assert.Contains(created.Text("link"), text);
        Assert.Contains("R31.00", text);
        Assert.Contains("name=invoice.pdf", data);
        Assert.Contains(Convert.ToBase64String(pdf), data.Replace("\r\n", "", StringComparison.Ordinal));

        // Sent through the server, not kept locally.
        Assert.Empty(await merchant.Client.NotificationsAsync(merchant.Id));
    }
}
