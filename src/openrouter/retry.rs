//! The client's retry policy as a pure decision: given what one attempt of a call came to, send
//! it again (after which wait) or stop (and how). The client's `send` is a short loop around
//! [`next_step`]; the rules are documented on the client module and tested here as a table.

use std::time::Duration;

/// Whether a call may be sent again when an earlier attempt's outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Sending it twice has the same effect as sending it once.
    Safe,
    /// Each request may create something: only repeat what certainly did nothing.
    OnlyIfNothingHappened,
}

/// What one attempt came to, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A 2xx answer.
    Answered,
    /// An error status, with the `Retry-After` it carried.
    Refused {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No usable answer. `sent` is false only when the connection itself failed.
    NoAnswer { sent: bool },
}

impl Outcome {
    /// Whether this attempt may have done the call's work without the client knowing.
    pub(crate) fn may_have_applied(self) -> bool {
        match self {
            Outcome::Answered => false,
            Outcome::Refused { status, .. } => (500..=599).contains(&status),
            Outcome::NoAnswer { sent } => sent,
        }
    }
}

/// How patient the client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Patience {
    /// Requests per call, the first one included (at least 1).
    pub max_attempts: u32,
    /// The ceiling of the first retry's random wait; it doubles with each retry.
    pub initial_backoff: Duration,
    /// The highest ceiling a retry's random wait can grow to.
    pub max_backoff: Duration,
    /// The longest `Retry-After` waited out.
    pub max_retry_after: Duration,
}

impl Patience {
    /// The ceiling of the random wait before retry number `attempt` (1 for the first retry):
    /// `initial_backoff * 2^(attempt-1)`, capped at `max_backoff`.
    pub(crate) fn backoff_ceiling(&self, attempt: u32) -> Duration {
        self.initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff)
    }
}

/// How long to wait before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Exactly this long (OpenRouter's `Retry-After`).
    Exactly(Duration),
    /// A random duration up to this ceiling ("full jitter").
    UpTo(Duration),
}

/// Why a call stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// With this attempt's answer: the success, or the error the status maps to.
    WithAnswer,
    /// With the refusal's error, because OpenRouter asked to wait longer than the client waits.
    AskedToWaitTooLong(Duration),
    /// A create may have been done: the caller must look before creating again.
    OutcomeUnknown,
    /// Every attempt went unanswered.
    Unreachable,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Retry(Wait),
    Stop(Stop),
}

/// The decision after attempt number `attempt` (1 for the first) of a call that repeats as
/// `repeat` came to `outcome`.
pub(crate) fn next_step(
    repeat: Repeat,
    attempt: u32,
    outcome: Outcome,
    patience: &Patience,
) -> Step {
    let last = attempt >= patience.max_attempts.max(1);
    match outcome {
        Outcome::Answered => Step::Stop(Stop::WithAnswer),
        Outcome::Refused {
            status,
            retry_after,
        } => {
            let server_error = (500..=599).contains(&status);
            if server_error && repeat == Repeat::OnlyIfNothingHappened {
                return Step::Stop(Stop::OutcomeUnknown);
            }
            let retried = match status {
                429 => true,
                500 | 502 | 503 | 504 => repeat == Repeat::Safe,
                _ => false,
            };
            if !retried || last {
                return Step::Stop(Stop::WithAnswer);
            }
            match retry_after {
                Some(asked) if asked > patience.max_retry_after => {
                    Step::Stop(Stop::AskedToWaitTooLong(asked))
                }
                Some(asked) => Step::Retry(Wait::Exactly(asked)),
                None => Step::Retry(Wait::UpTo(patience.backoff_ceiling(attempt))),
            }
        }
        Outcome::NoAnswer { sent } => {
            if sent && repeat == Repeat::OnlyIfNothingHappened {
                Step::Stop(Stop::OutcomeUnknown)
            } else if last {
                Step::Stop(Stop::Unreachable)
            } else {
                Step::Retry(Wait::UpTo(patience.backoff_ceiling(attempt)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn patience() -> Patience {
        Patience {
            max_attempts: 3,
            initial_backoff: MS(100),
            max_backoff: MS(350),
            max_retry_after: Duration::from_secs(30),
        }
    }

    fn refused(status: u16) -> Outcome {
        Outcome::Refused {
            status,
            retry_after: None,
        }
    }

    fn asked(status: u16, seconds: u64) -> Outcome {
        Outcome::Refused {
            status,
            retry_after: Some(Duration::from_secs(seconds)),
        }
    }

    #[test]
    fn each_outcome_of_each_kind_of_call_at_each_attempt() {
        use Repeat::{OnlyIfNothingHappened as Create, Safe};
        let sent = Outcome::NoAnswer { sent: true };
        let not_sent = Outcome::NoAnswer { sent: false };
        let table: &[(Repeat, u32, Outcome, Step)] = &[
            (Safe, 1, Outcome::Answered, Step::Stop(Stop::WithAnswer)),
            (Create, 1, Outcome::Answered, Step::Stop(Stop::WithAnswer)),
            // Safe calls: 429 and the passing 5xx are retried, with growing waits.
            (Safe, 1, refused(500), Step::Retry(Wait::UpTo(MS(100)))),
            (Safe, 2, refused(502), Step::Retry(Wait::UpTo(MS(200)))),
            (Safe, 1, refused(503), Step::Retry(Wait::UpTo(MS(100)))),
            (Safe, 1, refused(504), Step::Retry(Wait::UpTo(MS(100)))),
            (Safe, 1, refused(429), Step::Retry(Wait::UpTo(MS(100)))),
            (Safe, 3, refused(500), Step::Stop(Stop::WithAnswer)),
            (Safe, 3, refused(429), Step::Stop(Stop::WithAnswer)),
            // Other errors are final at once.
            (Safe, 1, refused(501), Step::Stop(Stop::WithAnswer)),
            (Safe, 1, refused(400), Step::Stop(Stop::WithAnswer)),
            (Safe, 1, refused(401), Step::Stop(Stop::WithAnswer)),
            (Safe, 1, refused(404), Step::Stop(Stop::WithAnswer)),
            (Create, 1, refused(402), Step::Stop(Stop::WithAnswer)),
            // Retry-After is waited exactly, unless it asks too much.
            (
                Safe,
                1,
                asked(429, 2),
                Step::Retry(Wait::Exactly(Duration::from_secs(2))),
            ),
            (
                Safe,
                1,
                asked(503, 2),
                Step::Retry(Wait::Exactly(Duration::from_secs(2))),
            ),
            (
                Safe,
                1,
                asked(429, 31),
                Step::Stop(Stop::AskedToWaitTooLong(Duration::from_secs(31))),
            ),
            // Creates: a 429 did nothing and is retried; a 5xx may have created something.
            (Create, 1, refused(429), Step::Retry(Wait::UpTo(MS(100)))),
            (Create, 1, refused(500), Step::Stop(Stop::OutcomeUnknown)),
            (Create, 3, refused(503), Step::Stop(Stop::OutcomeUnknown)),
            // No answer: a connection that failed sent nothing; a sent request may have acted.
            (Safe, 1, sent, Step::Retry(Wait::UpTo(MS(100)))),
            (Safe, 3, sent, Step::Stop(Stop::Unreachable)),
            (Safe, 2, not_sent, Step::Retry(Wait::UpTo(MS(200)))),
            (Create, 1, not_sent, Step::Retry(Wait::UpTo(MS(100)))),
            (Create, 3, not_sent, Step::Stop(Stop::Unreachable)),
            (Create, 1, sent, Step::Stop(Stop::OutcomeUnknown)),
        ];
        for &(repeat, attempt, outcome, expected) in table {
            assert_eq!(
                next_step(repeat, attempt, outcome, &patience()),
                expected,
                "{repeat:?}, attempt {attempt}, {outcome:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let p = patience();
        assert_eq!(p.backoff_ceiling(1), MS(100));
        assert_eq!(p.backoff_ceiling(2), MS(200));
        assert_eq!(p.backoff_ceiling(3), MS(350));
        assert_eq!(p.backoff_ceiling(40), MS(350));
    }

    #[test]
    fn zero_attempts_counts_as_one() {
        let once = Patience {
            max_attempts: 0,
            ..patience()
        };
        assert_eq!(
            next_step(Repeat::Safe, 1, refused(500), &once),
            Step::Stop(Stop::WithAnswer)
        );
    }

    #[test]
    fn only_a_server_error_or_a_sent_request_may_have_applied() {
        assert!(refused(500).may_have_applied());
        assert!(Outcome::NoAnswer { sent: true }.may_have_applied());
        assert!(!refused(429).may_have_applied());
        assert!(!Outcome::NoAnswer { sent: false }.may_have_applied());
        assert!(!Outcome::Answered.may_have_applied());
    }
}
