using QRCoder;

namespace Gateway.Codes;

/// <summary>
/// QR images of a code's pay URL (QRCoder). Error correction M: printed codes get scuffed. They never change for a
/// code, so caches may keep them for a day.
/// </summary>
public static class CodeQr
{
    private const int PixelsPerModule = 8;

    public static IResult Png(HttpResponse response, string url)
    {
        using var data = QRCodeGenerator.GenerateQrCode(url, QRCodeGenerator.ECCLevel.M);
        Cache(response);
        return TypedResults.File(new PngByteQRCode(data).GetGraphic(PixelsPerModule), "image/png");
    }

    public static IResult Svg(HttpResponse response, string url)
    {
        using var data = QRCodeGenerator.GenerateQrCode(url, QRCodeGenerator.ECCLevel.M);
        Cache(response);
        return TypedResults.Text(new SvgQRCode(data).GetGraphic(PixelsPerModule), "image/svg+xml; charset=utf-8");
    }

    private static void Cache(HttpResponse response)
    {
        response.Headers.CacheControl = "public, max-age=86400";
        response.Headers.XContentTypeOptions = "nosniff";
    }
}
