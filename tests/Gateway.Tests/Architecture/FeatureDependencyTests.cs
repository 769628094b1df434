using System.Reflection;
using Xunit.Abstractions;

namespace Gateway.Tests.Architecture;

/// <summary>
/// Feature folders depend one way: each namespace under <c>Gateway</c> may use only the ones listed before it.
/// Where a lower feature must let a higher one react (a card deleted stops its schedules; an express payment link
/// notifies its payer), the lower one owns a small interface and the higher one implements it.
/// </summary>
public sealed class FeatureDependencyTests(ITestOutputHelper output)
{
    /// <summary>Lowest first. The root namespace (Program) composes everything.</summary>
    private static readonly string[] Layers =
    [
        "Platform", "Api", "Identity", "Payments", "Webhooks", "Cards", "Schedules", "HostedPages", "Express", "Codes", "Cashier",
        "Collections", "MerchantConsole", "Notifications", "Hosting", "",
    ];

    private static readonly Assembly App = typeof(Gateway.Hosting.FunctionCatalog).Assembly;

    /// <summary>
    /// The feature folder of one of the app's types: "" for the entry point (top-level statements), null for what
    /// the compiler and source generators add outside the app's namespaces (collection expressions' lists,
    /// anonymous types, generated regular expressions), which belongs to no feature.
    /// </summary>
    private static string? FeatureOf(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        if (type.Namespace is null) return type.Name == "Program" ? "" : null;
        return type.Namespace.StartsWith("Gateway.", StringComparison.Ordinal)
            ? type.Namespace["Gateway.".Length..].Split('.')[0]
            : null;
    }

    private static IEnumerable<(string From, string To, string Example)> Edges() =>
        from type in App.GetTypes()
        let source = FeatureOf(type)
        where source is not null
        from referenced in TypeReferences.Of(type)
        where referenced.Assembly == App
        let target = FeatureOf(referenced)
        where target is not null && target != source
        select (source, target, $"{type.FullName} -> {referenced.FullName}");

    [Fact]
    public void EveryFeatureDependsOnlyOnTheFeaturesBeforeIt()
    {
        // A new feature folder takes its place in the list.
        var unlisted = App.GetTypes().Select(FeatureOf).OfType<string>().Distinct().Except(Layers).ToArray();
        Assert.Empty(unlisted);

        var edges = Edges().ToArray();
        // The scan sees the app's real dependencies: schedules implement the cards feature's interface.
        Assert.Contains(edges, e => e.From == "Schedules" && e.To == "Cards");

        var upward = edges
            .Where(e => Array.IndexOf(Layers, e.To) > Array.IndexOf(Layers, e.From))
            .GroupBy(e => (e.From, e.To))
            .Select(g => $"{g.Key.From} -> {g.Key.To}: " +
                string.Join("; ", g.Select(e => e.Example).Distinct().Take(4)))
            .ToArray();
        foreach (var line in upward) output.WriteLine(line);
        Assert.Empty(upward);
    }
}

/// <summary>The scanner itself: a reference made only inside a method body (here, in a lambda) is found.</summary>
public sealed class TypeReferencesTests
{
    private sealed class Witness;

    private static int BodyOnly() => new[] { 1 }.Select(_ => new Witness()).Count();

    [Fact]
    public void AReferenceMadeOnlyInsideALambdasBodyIsFound()
    {
        var lambdaClosures = typeof(TypeReferencesTests).GetNestedTypes(BindingFlags.NonPublic)
            .Where(t => t.Name.StartsWith('<'));
        Assert.Contains(lambdaClosures, t => TypeReferences.Of(t).Contains(typeof(Witness)));
        Assert.Equal(1, BodyOnly());
    }

    [Fact]
    public void SignaturesAndBaseTypesAreFound()
    {
        var found = TypeReferences.Of(typeof(Gateway.Schedules.ScheduleCardDependents)).ToArray();
        Assert.Contains(typeof(Gateway.Cards.ICardDependents), found);
        Assert.Contains(typeof(Gateway.Cards.CardDeletion), found);
        Assert.Contains(typeof(Gateway.Schedules.ScheduleStore), found);
    }
}
