using System.Collections.Concurrent;

namespace Gateway.Identity;

/// <summary>
/// Limits online password guessing: at most <see cref="MaxFailures"/> wrong passwords for one username are checked
/// within <see cref="Window"/>; after that, attempts are refused (429, with Retry-After) without checking, until the
/// window has passed. Checks in progress count too: requests sent in parallel wait for a free slot rather than all
/// being checked before the first failure is counted, so the limit holds whatever the parallelism, and a user's own
/// parallel requests wait briefly instead of being refused. A successful sign-in clears the failures. In memory, per
/// instance: it bounds the guessing and the hashing work an instance will do for one username; it is not a
/// platform-wide lockout (that belongs at the edge, with per-IP limits).
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<string, Username> _usernames = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time;

    /// <summary>
    /// Waits for a slot to check a password for the username: the slot (end it with the outcome), or null and how
    /// long until the username may be tried again.
    /// </summary>
    public async Task<(Slot? Slot, TimeSpan RetryAfter)> BeginAsync(string username, CancellationToken cancellationToken)
    {
        if (_usernames.Count >= MaxTracked) Forget(_time.GetUtcNow());
        while (true)
        {
            var state = _usernames.GetOrAdd(Key(username), _ => new Username());
            Task freed;
            lock (state)
            {
                if (state.Forgotten) continue;
                var now = _time.GetUtcNow();
                if (state.Failures > 0 && now - state.Since >= Window) state.Failures = 0;
                if (state.Failures >= MaxFailures) return (null, state.Since + Window - now);
                if (state.Failures + state.Checking < MaxFailures)
                {
                    state.Checking++;
                    return (new Slot(this, state), TimeSpan.Zero);
                }
                freed = state.Freed.Task;
            }
            await freed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A password check in progress for one username.</summary>
    public sealed class Slot
    {
        private readonly LoginThrottle _throttle;
        private readonly Username _state;
        private int _ended;

        internal Slot(LoginThrottle throttle, Username state) => (_throttle, _state) = (throttle, state);

        /// <summary>
        /// Ends the check: a wrong password counts as a failure, a right one clears the failures, and a check that
        /// could not decide (storage did not answer) counts as neither.
        /// </summary>
        public void End(bool? succeeded)
        {
            if (Interlocked.Exchange(ref _ended, 1) == 1) return;
            TaskCompletionSource freed;
            lock (_state)
            {
                _state.Checking--;
                if (succeeded == true) _state.Failures = 0;
                else if (succeeded == false && _state.Failures++ == 0) _state.Since = _throttle._time.GetUtcNow();
                (freed, _state.Freed) = (_state.Freed, NewSignal());
            }
            freed.TrySetResult();
        }
    }

    /// <summary>Drops idle usernames, so guesses at many usernames cannot grow the map without bound.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, state) in _usernames)
        {
            lock (state)
            {
                if (state.Checking > 0 || (state.Failures > 0 && now - state.Since < Window)) continue;
                state.Forgotten = true;
                _usernames.TryRemove(key, out _);
            }
        }
    }

    private static string Key(string username) => username.ToLowerInvariant();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One username's failures in its current window, the checks in progress, and who waits for a slot.</summary>
    internal sealed class Username
    {
        public int Failures;
        public DateTimeOffset Since;
        public int Checking;
        public bool Forgotten;
        public TaskCompletionSource Freed = NewSignal();
    }
}
