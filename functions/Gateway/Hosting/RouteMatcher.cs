using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.AspNetCore.Routing.Template;

namespace Gateway.Hosting;

/// <summary>
/// Whether a path matches a function's route template, its inline constraints (<c>{id:long}</c>) included, outside
/// of routing: for the 405 answer's Allow header, and for proving that no two routes can match the same request.
/// </summary>
public sealed class RouteMatcher
{
    private readonly TemplateMatcher _matcher;
    private readonly (string Name, IRouteConstraint Constraint)[] _constraints;

    public RouteMatcher(string route)
    {
        var template = TemplateParser.Parse(route);
        _matcher = new TemplateMatcher(template, []);
        _constraints = [.. template.Parameters.SelectMany(p => p.InlineConstraints.Select(c => (p.Name!, Resolve(c.Constraint))))];
    }

    public bool Matches(PathString path)
    {
        var values = new RouteValueDictionary();
        return _matcher.TryMatch(path, values)
            && _constraints.All(c => c.Constraint.Match(null, null, c.Name, values, RouteDirection.IncomingRequest));
    }

    /// <summary>The constraints routes here use; any other fails at start-up rather than matching silently.</summary>
    private static IRouteConstraint Resolve(string constraint) => constraint switch
    {
        "long" => new LongRouteConstraint(),
        "guid" => new GuidRouteConstraint(),
        _ => throw new InvalidOperationException($"Route constraint '{constraint}' is not supported here."),
    };
}
