using Gateway.Identity;
using Gateway.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Moq;

namespace Gateway.Tests.Worker;

/// <summary>
/// A timer function as the worker invokes it: the host's <see cref="TimerInfo"/> (past due after downtime or an
/// overrun), a mocked logger, and the real token store on Azurite.
/// </summary>
public sealed class TimerFunctionTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static void VerifyLogged(Mock<ILogger<TokenSweep>> logger, LogLevel level, string text, Times times) =>
        logger.Verify(l => l.Log(level, It.IsAny<EventId>(),
            It.Is<It.IsAnyType>((state, _) => state != null && state.ToString()!.Contains(text)),
            It.IsAny<Exception?>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()), times);

    [Fact]
    public async Task ARunPastDueSaysSoAndStillDoesItsWork()
    {
        var logger = new Mock<ILogger<TokenSweep>>();
        var last = new DateTime(2026, 12, 1, 9, 17, 0, DateTimeKind.Utc);
        var timer = new TimerInfo { IsPastDue = true, ScheduleStatus = new ScheduleStatus { Last = last } };

        await new TokenSweep(app.Service<TokenService>(), logger.Object).Run(timer, CancellationToken.None);

        VerifyLogged(logger, LogLevel.Warning, "fired late (last run 2026-12-01T09:17:00", Times.Once());
        VerifyLogged(logger, LogLevel.Information, "expired tokens", Times.Once());
    }

    [Fact]
    public async Task ARunOnTimeSaysNothingAboutLateness()
    {
        var logger = new Mock<ILogger<TokenSweep>>();

        await new TokenSweep(app.Service<TokenService>(), logger.Object).Run(new TimerInfo(), CancellationToken.None);

        VerifyLogged(logger, LogLevel.Warning, "late", Times.Never());
        VerifyLogged(logger, LogLevel.Information, "expired tokens", Times.Once());
    }
}
