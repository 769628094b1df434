namespace Gateway.Identity;

/// <summary>
/// Whether live organisations can take payments. The payments feature knows (it holds the acquirer connector) and
/// implements this; an organisation's view shows it, so a merchant going live sees what is missing.
/// </summary>
public interface ILivePayments
{
    /// <summary>Null when live payments can be taken, else why not.</summary>
    string? Unavailable { get; }
}
