namespace Gateway.Collections;

public sealed class CollectionsOptions
{
    public const string Section = "Collections";

    /// <summary>
    /// Transactions per submission batch and per webhook (<c>{"transactions": [...]}</c>). A batch, its transactions'
    /// changes and its webhook event commit in one entity-group transaction of at most 100 rows, hence at most 49.
    /// </summary>
    public int BatchSize { get; set; } = 40;

    /// <summary>The queue the bank's answers arrive on, for <c>CollectionsBankResults</c>.</summary>
    public string BankResultsQueue { get; set; } = "collections-bank-results";

    /// <summary>Public holidays declared for a single year (election days), on top of the statutory ones.</summary>
    public List<DateOnly> ExtraHolidays { get; set; } = [];

    /// <summary>Submission runs work on this many payments of an organisation at once.</summary>
    public int Parallelism { get; set; } = 8;
}
