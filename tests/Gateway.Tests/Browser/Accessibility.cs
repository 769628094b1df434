using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Gateway.Tests.Browser;

/// <summary>axe-core's rules over a page as it stands: no serious or critical violation.</summary>
public static class Accessibility
{
    public static async Task AssertAccessibleAsync(this IPage page)
    {
        var results = await page.RunAxe();
        Assert.NotEmpty(results.Passes); // the rules did run on the page
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})").ToList();
        Assert.True(serious.Count == 0, $"{page.Url}: " + string.Join("\n", serious));
    }
}
