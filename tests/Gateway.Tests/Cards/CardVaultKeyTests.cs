using System.Security.Cryptography;
using Gateway.Payments;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cards;

/// <summary>The vault's keys before a rotation: only key A, active.</summary>
public sealed class VaultBeforeRotationApp : GatewayApp
{
    public VaultBeforeRotationApp()
    {
        Settings["CardVault:Keys:A"] = CardVaultKeyTests.KeyA;
        Settings["CardVault:ActiveKey"] = "A";
    }
}

/// <summary>After the rotation: key B active, key A kept for the cards still sealed under it.</summary>
public sealed class VaultAfterRotationApp : GatewayApp
{
    public VaultAfterRotationApp()
    {
        Settings["CardVault:Keys:A"] = CardVaultKeyTests.KeyA;
        Settings["CardVault:Keys:B"] = CardVaultKeyTests.KeyB;
        Settings["CardVault:ActiveKey"] = "B";
    }
}

/// <summary>Key rotation, and sealed numbers bound to their row: the two apps share the storage, as deployments before and after a rotation do.</summary>
public sealed class CardVaultKeyTests(VaultBeforeRotationApp before, VaultAfterRotationApp after)
    : IClassFixture<VaultBeforeRotationApp>, IClassFixture<VaultAfterRotationApp>
{
    public static readonly string KeyA = Convert.ToBase64String(SHA256.HashData("vault key A for tests"u8));
    public static readonly string KeyB = Convert.ToBase64String(SHA256.HashData("vault key B for tests"u8));

    [Fact]
    public async Task ACardStoredUnderTheOldKeyStillPaysAfterTheRotationAndNewCardsUseTheNewKey()
    {
        var organisation = await before.CreateOrganisationAsync();
        using var beforeClient = before.ClientFor(organisation.Admin);
        var old = await beforeClient.StoreCardAsync("stored-under-a");
        Assert.Equal("A", Assert.Single(await before.RowsAsync(organisation.Id, "card-")).GetString("KeyId"));

        using var afterClient = after.ClientFor(organisation.Admin);
        var paid = await (await afterClient.PayTokenAsync(old.Text("guid"))).JsonAsync(200);
        Assert.Equal(1, paid.GetProperty("success").GetInt32());
        Assert.Equal("424242******4242", (await (await afterClient.GetAsync(CardKit.Url("stored-under-a"))).JsonAsync(200)).Text("pan"));

        var fresh = await afterClient.StoreCardAsync("stored-under-b", "5555555555554444");
        var rows = await after.RowsAsync(organisation.Id, "card-");
        Assert.Equal("B", rows.Single(r => r.RowKey == $"card-{Guid.Parse(fresh.Text("guid")):N}").GetString("KeyId"));
        Assert.Equal(1, (await (await afterClient.PayTokenAsync(fresh.Text("guid"), reference: "b-pay")).JsonAsync(200)).GetProperty("success").GetInt32());
    }

    [Fact]
    public async Task ASealedNumberMovedToAnotherCardOrOrganisationDoesNotOpen()
    {
        var vault = after.Service<CardVault>();
        var card = new CardDetails(PaymentKit.Approved, 12, 2030, "", null);
        var mine = vault.Seal(1, card, "mine", CardSources.Api, DateTimeOffset.UtcNow);
        var otherCard = vault.Seal(1, card with { Number = "5555555555554444" }, "other", CardSources.Api, DateTimeOffset.UtcNow);
        var otherOrganisation = vault.Seal(2, card, "mine", CardSources.Api, DateTimeOffset.UtcNow);
        Assert.Equal(PaymentKit.Approved, vault.Open(mine).Number);

        Assert.ThrowsAny<CryptographicException>(() => vault.Open(otherCard with { SealedNumber = mine.SealedNumber }));
        Assert.ThrowsAny<CryptographicException>(() => vault.Open(otherOrganisation with { SealedNumber = mine.SealedNumber }));
        Assert.ThrowsAny<CryptographicException>(() => vault.Open(mine with { OrganisationId = 2 }));
        // A flipped bit is caught too: the tag authenticates the whole ciphertext.
        var bytes = Convert.FromBase64String(mine.SealedNumber);
        bytes[^20] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => vault.Open(mine with { SealedNumber = Convert.ToBase64String(bytes) }));
    }
}

/// <summary>Deployed (under the Functions host), the gateway will not start on the storage-derived vault key.</summary>
public sealed class VaultKeyConfigurationTests
{
    [Fact]
    public async Task UnderTheFunctionsHostAVaultKeyMustBeConfigured()
    {
        var error = await GatewayApp.StartUpFailureAsync(new()
        {
            [Gateway.Platform.FunctionsEnvironment.WorkerRuntimeSetting] = "dotnet-isolated",
            ["Payments:PublicBaseUrl"] = "https://pay.gateway.test",
        });
        Assert.Contains("CardVault:Keys and CardVault:ActiveKey must be configured", error.ToString());
    }
}

/// <summary>Deployed, payment links and redirects must point at the gateway's public https address.</summary>
public sealed class PublicAddressConfigurationTests
{
    [Fact]
    public async Task UnderTheFunctionsHostThePublicAddressMustBeHttps()
    {
        var error = await GatewayApp.StartUpFailureAsync(new()
        {
            [Gateway.Platform.FunctionsEnvironment.WorkerRuntimeSetting] = "dotnet-isolated",
            ["Payments:PublicBaseUrl"] = "http://pay.gateway.test",
        });
        Assert.Contains("Payments:PublicBaseUrl must be the gateway's https address", error.ToString());
    }
}
