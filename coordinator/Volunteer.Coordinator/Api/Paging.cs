using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Errors;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// What every list of the API shares: a page of 1 to <see cref="MaxPageSize"/> items, and a full page
/// that links to the next one (RFC 8288, rel="next"), continuing after its last item.
/// </summary>
public static class Paging
{
    public const int MaxPageSize = 1000;

    public const int DefaultPageSize = 100;

    /// <summary>The page size asked for, or a problem naming the bounds.</summary>
    public static (int PageSize, ProblemHttpResult? Problem) PageSize(int? limit) =>
        limit is < 1 or > MaxPageSize
            ? (0, Problems.BadRequest($"'limit' must be between 1 and {MaxPageSize}."))
            : (limit ?? DefaultPageSize, null);

    /// <summary>When the page is full, links to the next: the same list, after <paramref name="last"/>.</summary>
    public static void LinkNext(HttpResponse response, string path, int pageSize, int count, string last, params (string Name, string? Value)[] filters)
    {
        if (count < pageSize)
        {
            return;
        }
        var query = filters.Where(f => f.Value is not null)
            .Select(f => new KeyValuePair<string, string?>(f.Name, f.Value))
            .Append(new("limit", pageSize.ToString(CultureInfo.InvariantCulture)))
            .Append(new("after", last));
        response.Headers.Link = $"</{path}{QueryString.Create(query)}>; rel=\"next\"";
    }
}
