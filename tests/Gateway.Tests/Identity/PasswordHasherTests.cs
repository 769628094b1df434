using Gateway.Identity;
using Gateway.Testing;

namespace Gateway.Tests.Identity;

/// <summary>The verification cache saves repeated work for the right password and nothing else.</summary>
public sealed class PasswordHasherTests
{
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void ARepeatedCorrectPasswordIsNotDerivedAgain()
    {
        var hasher = new PasswordHasher(_clock);
        var stored = hasher.Hash("correct horse");
        var fresh = new PasswordHasher(_clock);

        Assert.True(fresh.Verify("correct horse", stored));
        Assert.True(fresh.Verify("correct horse", stored));
        Assert.True(fresh.Verify("correct horse", stored));

        Assert.Equal(1, fresh.Derivations);
    }

    [Fact]
    public void WrongPasswordsAlwaysPayTheFullCostEvenAfterTheRightOneWasRemembered()
    {
        var hasher = new PasswordHasher(_clock);
        var stored = hasher.Hash("correct horse");

        Assert.False(hasher.Verify("correct hors", stored));
        Assert.False(hasher.Verify("correct horse ", stored));
        Assert.True(hasher.Verify("correct horse", stored));

        Assert.Equal(2, hasher.Derivations);
    }

    [Fact]
    public void AChangedHashOrAnExpiredEntryIsVerifiedAfresh()
    {
        var hasher = new PasswordHasher(_clock);
        var first = hasher.Hash("correct horse");
        var second = hasher.Hash("correct horse");

        Assert.NotEqual(first, second);
        Assert.True(hasher.Verify("correct horse", second));
        Assert.Equal(0, hasher.Derivations);

        _clock.Advance(TimeSpan.FromMinutes(11));
        Assert.True(hasher.Verify("correct horse", first));
        Assert.Equal(1, hasher.Derivations);
    }

    [Fact]
    public void UnknownUsersCostTheSameAndNeverVerify()
    {
        var hasher = new PasswordHasher(_clock);
        Assert.False(hasher.Verify("anything", null));
        Assert.False(hasher.Verify("anything", null));
        Assert.Equal(2, hasher.Derivations);
        Assert.False(hasher.Verify("anything", "not-a-hash"));
    }
}
