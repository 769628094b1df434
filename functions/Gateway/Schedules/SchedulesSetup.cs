using Gateway.Cards;

namespace Gateway.Schedules;

public static class SchedulesSetup
{
    public static IServiceCollection AddGatewaySchedules(this IServiceCollection services)
    {
        services.AddOptions<ScheduleOptions>()
            .BindConfiguration(ScheduleOptions.Section)
            .Validate(ScheduleOptions.IsValid,
                "Schedules: CatchUpWindow must be 0 to 90 days, ClaimLease 5 seconds to an hour, Parallelism 1 to 64.")
            .ValidateOnStart();
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<ScheduleService>();
        services.AddSingleton<PaymentScheduleRunner>();
        services.AddSingleton<ICardDependents, ScheduleCardDependents>();
        return services;
    }
}
