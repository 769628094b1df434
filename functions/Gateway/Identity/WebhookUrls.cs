using System.Net;
using System.Net.Sockets;
using Gateway.Api;
using Microsoft.Extensions.Options;

namespace Gateway.Identity;

/// <summary>Resolves a host name to addresses; replaced in tests so the guard is tested without real DNS.</summary>
public delegate Task<IPAddress[]> ResolveHost(string host, CancellationToken cancellationToken);

/// <summary>
/// The server-side request forgery guard: a webhook may only reach public addresses over http(s) (https for live
/// organisations). Checked when a URL is set, and again when connecting, on the addresses actually connected to,
/// so a name that resolves differently later (DNS rebinding) cannot reach an internal address.
/// </summary>
public sealed class WebhookUrls(ResolveHost resolve, IOptions<WebhookOptions> options)
{
    public const int MaxLength = 2000;

    private static readonly (IPAddress Network, int Bits)[] BlockedRanges =
    [
        (IPAddress.Parse("0.0.0.0"), 8),        // "this network", including the unspecified address
        (IPAddress.Parse("10.0.0.0"), 8),       // RFC 1918
        (IPAddress.Parse("100.64.0.0"), 10),    // carrier-grade NAT, internal to providers
        (IPAddress.Parse("127.0.0.0"), 8),      // loopback
        (IPAddress.Parse("169.254.0.0"), 16),   // link-local, including the cloud metadata service 169.254.169.254
        (IPAddress.Parse("172.16.0.0"), 12),    // RFC 1918
        (IPAddress.Parse("192.0.0.0"), 24),     // IETF protocol assignments
        (IPAddress.Parse("192.168.0.0"), 16),   // RFC 1918
        (IPAddress.Parse("198.18.0.0"), 15),    // benchmarking
        (IPAddress.Parse("224.0.0.0"), 4),      // multicast
        (IPAddress.Parse("240.0.0.0"), 4),      // reserved and broadcast
        (IPAddress.Parse("::"), 128),           // unspecified
        (IPAddress.Parse("::1"), 128),          // loopback
        (IPAddress.Parse("fc00::"), 7),         // unique local, including the EC2 metadata address fd00:ec2::254
        (IPAddress.Parse("fe80::"), 10),        // link-local
        (IPAddress.Parse("fec0::"), 10),        // deprecated site-local
        (IPAddress.Parse("ff00::"), 8),         // multicast
        (IPAddress.Parse("2001::"), 32),        // Teredo: tunnels to an IPv4 address the guard cannot see
        (IPAddress.Parse("2001:db8::"), 32),    // documentation
        (IPAddress.Parse("100::"), 64),         // discard-only
        (IPAddress.Parse("64:ff9b:1::"), 48),   // local-use NAT64 (RFC 8215): the IPv4 address may sit anywhere in it
    ];

    /// <summary>
    /// The IPv4 address inside a well-known-prefix NAT64 (64:ff9b::/96), 6to4 (2002::/16), IPv4-translated
    /// (::ffff:0:0/96) or IPv4-compatible (::/96) address.
    /// </summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return null;
        var b = address.GetAddressBytes();
        if (b[0] == 0x20 && b[1] == 0x02) return new IPAddress(b[2..6]);
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0) return new IPAddress(b[12..16]);
        // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765), a form the runtime's IsIPv4MappedToIPv6 does not recognise.
        if (b.AsSpan(0, 8).IndexOfAnyExcept((byte)0) < 0 && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
        {
            return new IPAddress(b[12..16]);
        }
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback))
        {
            return new IPAddress(b[12..16]);
        }
        return null;
    }

    /// <summary>Whether the guard lets a connection to this address through.</summary>
    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        // IPv6 forms that carry an IPv4 address (NAT64, 6to4, IPv4-compatible) reach that address: judge it instead.
        if (EmbeddedIPv4(address) is { } embedded) address = embedded;
        if (options.Value.AllowLoopback && IPAddress.IsLoopback(address)) return true;
        return !BlockedRanges.Any(r => r.Network.AddressFamily == address.AddressFamily && InRange(address, r.Network, r.Bits));
    }

    /// <summary>The URL's problem, or null when it is acceptable apart from where its host resolves.</summary>
    public static string? ShapeProblem(string url, bool live)
    {
        if (url.Length > MaxLength) return $"must be at most {MaxLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return "must be an absolute http or https URL.";
        }
        if (uri.UserInfo.Length > 0) return "must not carry a user name or password.";
        if (live && uri.Scheme != "https") return "must be https for a live organisation.";
        return null;
    }

    /// <summary>Checks a URL being set; a 400 naming <paramref name="field"/> when it is refused.</summary>
    public async Task CheckAsync(string field, string url, bool live, CancellationToken cancellationToken)
    {
        if (ShapeProblem(url, live) is { } problem) throw ApiException.BadRequest(field, problem);
        try
        {
            await AllowedAddressesAsync(new Uri(url).IdnHost, cancellationToken);
        }
        catch (WebhookRefusedException refused)
        {
            throw ApiException.BadRequest(field, refused.Message);
        }
    }

    public Task CheckAsync(string field, string url, Organisation organisation, CancellationToken cancellationToken) =>
        CheckAsync(field, url, organisation.Mode == OrganisationModes.Live, cancellationToken);

    /// <summary>The host's addresses when every one of them is allowed; refused when any is not, or when it does not resolve.</summary>
    public async Task<IPAddress[]> AllowedAddressesAsync(string host, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await resolve(host, cancellationToken);
            }
            catch (SocketException)
            {
                throw new WebhookRefusedException($"host {host} does not resolve.");
            }
        }
        if (addresses.Length == 0) throw new WebhookRefusedException($"host {host} does not resolve.");
        // Any refused address refuses the host: a name with one public and one internal address must not be a way in.
        if (addresses.FirstOrDefault(a => !IsAllowed(a)) is { } refused)
        {
            throw new WebhookRefusedException($"host {host} resolves to {refused}, a loopback, private, link-local, multicast or metadata address.");
        }
        return addresses;
    }

    /// <summary>
    /// The webhook client's connect step: resolves the host itself and connects only to addresses that pass the
    /// guard, so what was checked is what is connected to.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await AllowedAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException error)
            {
                socket.Dispose();
                last = error;
            }
        }
        throw new HttpRequestException($"Could not connect to {context.DnsEndPoint.Host}.", last);
    }

    private static bool InRange(IPAddress address, IPAddress network, int bits)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
            if ((a[i] & mask) != (n[i] & mask)) return false;
        }
        return true;
    }
}

/// <summary>A webhook URL the guard refuses; at delivery time this is a failed attempt like any other.</summary>
public sealed class WebhookRefusedException(string message) : Exception(message);
