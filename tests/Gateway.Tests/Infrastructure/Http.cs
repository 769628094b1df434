using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.Infrastructure;

/// <summary>Requests the way merchants send them (form bodies like curl -d, or JSON) and checks on what comes back.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, params (string Key, string Value)[] fields) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = Form(fields) });

    public static Task<HttpResponseMessage> PutFormAsync(this HttpClient client, string url, params (string Key, string Value)[] fields) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, url) { Content = Form(fields) });

    /// <summary>A raw body exactly as given, e.g. the -d string of a documented curl example.</summary>
    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string body,
        string contentType = "application/x-www-form-urlencoded") =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8, contentType) });

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, object body) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) });

    /// <summary>Asserts the status (showing the body when it differs) and parses the JSON body.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, int expectedStatus)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus,
            $"Expected {expectedStatus} but got {(int)response.StatusCode} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the documented error object with this status, and returns its message.</summary>
    public static async Task<string> ErrorAsync(this HttpResponseMessage response, int expectedStatus)
    {
        var error = await response.JsonAsync(expectedStatus);
        Assert.Equal(["name", "message", "code", "status", "type"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(expectedStatus, error.GetProperty("status").GetInt32());
        Assert.Equal(0, error.GetProperty("code").GetInt32());
        Assert.StartsWith(@"yii\web\", error.GetProperty("type").GetString());
        Assert.True(response.Headers.Contains("X-Request-Id"), "Error responses carry X-Request-Id too.");
        return error.GetProperty("message").GetString()!;
    }

    public static IReadOnlyList<string> Keys(this JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    private static FormUrlEncodedContent Form((string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));
}
