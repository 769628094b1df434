using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// Mutated requests against the gateway process, per endpoint: the statuses they got. Each request starts from a
/// valid one and breaks it (a field dropped, repeated or replaced by hostile text, a body cut short, JSON of the wrong
/// types, the wrong content type, credentials moved to a <c>token</c> parameter or spoiled). What is asserted lives
/// in the tests; this prints how the answers spread, so a 5xx shows up as a number. Seeded, so reruns send the same.
/// </summary>
public static class FuzzLoad
{
    private static readonly string[] Hostile =
    [
        "", " ", "0", "-1", "1e308", "NaN", "99999999999999999999", "1.005", "abc", "' or ''='", "\" or \"\"=\"",
        "{amount}", "{{7*7}}", "<script>alert(1)</script>", "\u202e0720000000", "\u0000", "caf\u00e9", "\ud83d\udcb3",
        "a\r\nX-Injected: 1", "../../etc/passwd", "http://169.254.169.254/", "http://[::ffff:0:a9fe:a9fe]/",
        "javascript:alert(1)", "sms", "Email", "always", "when_required", "4242424242424242", "4000000000003220",
        new string('9', 300), new string('x', 70_000),
    ];

    private sealed record Target(string Name, HttpMethod Method, string Path, (string Key, string Value)[] Fields, bool Json = true);

    public static async Task MeasureAsync(Azurite azurite, string configuration, int perEndpoint)
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-bench-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        try
        {
            await OutageLoad.WithSeededGatewayAsync(azurite, configuration, location, (port, demo) => RunAsync(port, demo, perEndpoint));
        }
        finally
        {
            Directory.Delete(location, recursive: true);
        }
    }

    private static async Task RunAsync(int port, OutageLoad.Demo demo, int perEndpoint)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{demo.Admin}:{demo.Password}")));
        var token = await TokenAsync(http, basic);
        var paid = await PayAsync(http, basic);
        var card = await StoreCardAsync(http, basic);
        var key = await KeyAsync(http, basic);
        var eft = await KeyAsync(http, basic);
        var formToken = JsonDocument.Parse(await http.GetStringAsync($"/api/eftx?payment_key={eft}")).RootElement
            .GetProperty("form_token").GetString()!;
        var org = demo.OrganisationId.ToString(CultureInfo.InvariantCulture);
        Target[] targets =
        [
            new("POST /api/v1/payment-key (token=)", HttpMethod.Post, "/api/v1/payment-key",
                [("token", token), ("amount", "1.00"), ("merchant_reference", "fuzz"), ("success_url", "https://shop.test/ok")]),
            new("POST /api/v1/pay/direct", HttpMethod.Post, "/api/v1/pay/direct",
                [("amount", "1.00"), ("merchant_reference", "fuzz"), ("pan", "4242424242424242"), ("expiry", "1230"),
                    ("cvv", "123"), ("return_url", "https://shop.test/back")]),
            new("POST /api/v1/customer-token/{guid}/auth", HttpMethod.Post, $"/api/v1/customer-token/{card}/auth",
                [("amount", "1.00"), ("reference", "fuzz"), ("card_token_3ds", "1"), ("pending_url", "https://shop.test/p")]),
            new("POST /api/v1/notification/send", HttpMethod.Post, "/api/v1/notification/send",
                [("recipient", "0720000000"), ("type", "Sms"), ("transactionID", paid)]),
            new("PUT /api/v1/organisation/{id}", HttpMethod.Put, $"/api/v1/organisation/{org}",
                [("Organisation[three_d_secure]", "when_required"), ("Organisation[receipt_sms_template]", "{amount} paid")]),
            new("POST /api/v1/express/email (multipart)", HttpMethod.Post, "/api/v1/express/email",
                [("amount", "1.00"), ("email", "payer@example.com"), ("files[]", "%PDF-1.4 fuzz")], Json: false),
            new("GET /card?checkout=1", HttpMethod.Get, "/card",
                [("payment_key", key), ("checkout", "1"), ("remember_card", "off")], Json: false),
            new("GET /receipt?checkout=1", HttpMethod.Get, "/receipt",
                [("checkout", "1"), ("payment_key", key), ("expires", "9999999999"), ("next", "https://shop.test/ok"), ("sig", "x")],
                Json: false),
            new("GET /api/eftx (self-hosted EFT)", HttpMethod.Get, "/api/eftx", [("payment_key", eft)], Json: false),
            new("POST /api/eftx (self-hosted EFT)", HttpMethod.Post, "/api/eftx",
                [("payment_key", eft), ("step", "bank"), ("form_token", formToken), ("action", "continue"), ("bank", "FNB"),
                    ("account", "1234567890"), ("password", "pw")], Json: false),
            // Last: wrong passwords lock the demo administrator out for the throttle's window (429), as they should.
            new("POST /api/v1/token (basic auth)", HttpMethod.Post, "/api/v1/token", []),
        ];

        var random = new Random(20261205);
        Console.WriteLine();
        Console.WriteLine($"Fuzzing the changed endpoints, {perEndpoint} mutated requests each (seeded), gateway process:");
        Console.WriteLine($"  {"endpoint",-44} {"sent",5} {"2xx",5} {"3xx",5} {"4xx",5} {"5xx",5}  4xx by status");
        var totals = new int[6];
        foreach (var target in targets)
        {
            var counts = new SortedDictionary<int, int>();
            for (var i = 0; i < perEndpoint; i++)
            {
                using var request = Mutate(target, random, basic, demo.Admin);
                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                counts[status] = counts.GetValueOrDefault(status) + 1;
            }
            int Class(int c) => counts.Where(p => p.Key / 100 == c).Sum(p => p.Value);
            var fours = string.Join(' ', counts.Where(p => p.Key / 100 == 4).Select(p => $"{p.Key}:{p.Value}"));
            var fives = counts.Where(p => p.Key >= 500).Select(p => $"{p.Key}:{p.Value}");
            Console.WriteLine($"  {target.Name,-44} {perEndpoint,5} {Class(2),5} {Class(3),5} {Class(4),5} {Class(5),5}  {fours}" +
                (Class(5) > 0 ? $"  5xx: {string.Join(' ', fives)}" : ""));
            for (var c = 2; c <= 5; c++) totals[c] += Class(c);
        }
        Console.WriteLine($"  {"all",-44} {perEndpoint * targets.Length,5} {totals[2],5} {totals[3],5} {totals[4],5} {totals[5],5}");
    }

    /// <summary>A valid request with one to three things broken.</summary>
    private static HttpRequestMessage Mutate(Target target, Random random, AuthenticationHeaderValue basic, string admin)
    {
        var fields = target.Fields.ToList();
        var auth = target.Path.StartsWith("/api/", StringComparison.Ordinal) && !target.Fields.Any(f => f.Key == "token") ? basic : null;
        var shape = target.Method == HttpMethod.Get ? 0 : random.Next(target.Json ? 4 : 2);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(fields.Count);
            switch (random.Next(5))
            {
                case 0 when fields.Count > 0: fields.RemoveAt(at); break;
                case 1 when fields.Count > 0: fields.Add((fields[at].Key, Pick(random))); break;
                case 2: fields.Add((Pick(random), Pick(random))); break;
                case 3 when auth is not null: auth = Spoiled(random, admin); break;
                default: if (fields.Count > 0) fields[at] = (fields[at].Key, Pick(random)); break;
            }
        }
        var request = new HttpRequestMessage(target.Method, target.Method == HttpMethod.Get ? target.Path + "?" + Encode(fields) : target.Path);
        request.Headers.Authorization = auth;
        if (target.Method == HttpMethod.Get) return request;
        request.Content = shape switch
        {
            0 when target.Path.EndsWith("email", StringComparison.Ordinal) => Multipart(fields, random),
            0 => new StringContent(Encode(fields), Encoding.UTF8, "application/x-www-form-urlencoded"),
            1 => Truncated(Encode(fields), random, "application/x-www-form-urlencoded"),
            2 => new StringContent(JsonWithWrongTypes(fields, random), Encoding.UTF8, "application/json"),
            _ => Truncated(JsonWithWrongTypes(fields, random), random, "application/json"),
        };
        return request;
    }

    private static string Pick(Random random) => Hostile[random.Next(Hostile.Length)];

    /// <summary>No credentials, a nonsense bearer token, or the administrator with a wrong password.</summary>
    private static AuthenticationHeaderValue? Spoiled(Random random, string admin) => random.Next(3) switch
    {
        0 => null,
        1 => new AuthenticationHeaderValue("Bearer", Uri.EscapeDataString(Pick(random))),
        _ => new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{admin}:{Pick(random)}"))),
    };

    private static string Encode(IEnumerable<(string Key, string Value)> fields) =>
        string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));

    private static StringContent Truncated(string body, Random random, string type) =>
        new(body[..random.Next(body.Length + 1)], Encoding.UTF8, type);

    /// <summary>Each value as a string, number, array, object or null, at random.</summary>
    private static string JsonWithWrongTypes(IEnumerable<(string Key, string Value)> fields, Random random)
    {
        var json = new Dictionary<string, object?>();
        foreach (var (key, value) in fields)
        {
            json[key] = random.Next(5) switch
            {
                0 => random.Next(-5, 1_000_000),
                1 => new[] { value },
                2 => new Dictionary<string, string> { ["x"] = value },
                3 => null,
                _ => value,
            };
        }
        return JsonSerializer.Serialize(json);
    }

    /// <summary>A multipart body, sometimes cut off in a field, in a file part or before its closing boundary.</summary>
    private static HttpContent Multipart(IEnumerable<(string Key, string Value)> fields, Random random)
    {
        var boundary = "fuzz" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
        var body = new StringBuilder();
        foreach (var (key, value) in fields)
        {
            body.Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"");
            if (key == "files[]") body.Append("; filename=\"a.pdf\"\r\nContent-Type: application/pdf");
            body.Append($"\r\n\r\n{value}\r\n");
        }
        body.Append($"--{boundary}--\r\n");
        var text = random.Next(2) == 0 ? body.ToString() : body.ToString()[..random.Next(body.Length)];
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        return content;
    }

    private static async Task<string> TokenAsync(HttpClient http, AuthenticationHeaderValue basic) =>
        JsonDocument.Parse(await PostAsync(http, "/api/v1/token", basic, "")).RootElement.GetProperty("token").GetString()!;

    private static async Task<string> PayAsync(HttpClient http, AuthenticationHeaderValue basic) =>
        JsonDocument.Parse(await PostAsync(http, "/api/v1/pay/direct", basic, PaymentRoundTrips.PayDirectBody))
            .RootElement.GetProperty("transaction").GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);

    private static async Task<string> StoreCardAsync(HttpClient http, AuthenticationHeaderValue basic) =>
        JsonDocument.Parse(await PostAsync(http, "/api/v1/customer-token/direct", basic,
            "merchant_reference=fuzz-card&pan=4242424242424242&expiry=1230&cvv=123")).RootElement.GetProperty("guid").GetString()!;

    private static async Task<string> KeyAsync(HttpClient http, AuthenticationHeaderValue basic) =>
        JsonDocument.Parse(await PostAsync(http, "/api/v1/payment-key", basic,
            "amount=2.00&merchant_reference=fuzz&success_url=https://shop.test/ok")).RootElement.GetProperty("key").GetString()!;

    private static async Task<string> PostAsync(HttpClient http, string path, AuthenticationHeaderValue? auth, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = auth;
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
    }
}
