//! A fake OpenRouter with a client pointed at it, tuned so retries cost milliseconds; checks
//! that no key leaks into what the client shows; and the bot's figures in the fake's own types,
//! for tests that hand the same figures to the fake and to the bot's store.

use std::fmt::Debug;
use std::time::Duration;

use fake::FakeOpenRouter;
use fakes::openrouter as fake;
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{ClientSettings, HttpManagementApi, NewKey, Usage};
use openrouter_team_bot::reset::LimitReset;
use secrecy::SecretString;

/// Attempts per call in these tests.
pub const MAX_ATTEMPTS: u32 = 4;

/// The request timeout in these tests: short, so a test of a timeout stays fast.
pub const TIMEOUT: Duration = Duration::from_millis(400);

/// A running fake and a client that manages it with its management key.
pub struct Harness {
    pub fake: FakeOpenRouter,
    pub api: HttpManagementApi,
}

impl Harness {
    pub async fn start() -> Harness {
        let fake = FakeOpenRouter::start().await.expect("the fake starts");
        let api = client(&fake.base_url(), &fake.management_key(), |_| {});
        Harness { fake, api }
    }

    /// A client for this fake with another bearer key.
    pub fn client_with_key(&self, key: &str) -> HttpManagementApi {
        client(&self.fake.base_url(), key, |_| {})
    }

    /// A client for this fake with the management key and adjusted settings.
    pub fn client_with(&self, adjust: impl FnOnce(&mut ClientSettings)) -> HttpManagementApi {
        client(&self.fake.base_url(), &self.fake.management_key(), adjust)
    }
}

/// Settings that keep retries fast: backoff of a few milliseconds, a short timeout.
pub fn fast_settings(base_url: &str, key: &str) -> ClientSettings {
    let mut settings = ClientSettings::new(base_url, SecretString::from(key.to_string()));
    settings.timeout = TIMEOUT;
    settings.max_attempts = MAX_ATTEMPTS;
    settings.initial_backoff = Duration::from_millis(1);
    settings.max_backoff = Duration::from_millis(5);
    settings.max_retry_after = Duration::from_secs(5);
    settings
}

pub fn client(
    base_url: &str,
    key: &str,
    adjust: impl FnOnce(&mut ClientSettings),
) -> HttpManagementApi {
    let mut settings = fast_settings(base_url, key);
    adjust(&mut settings);
    HttpManagementApi::new(settings).expect("the client builds")
}

/// A key request without limit or expiry.
pub fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.to_string(),
        limit: None,
        limit_reset: LimitReset::Never,
        expires_at: None,
        include_byok_in_limit: None,
        workspace_id: None,
    }
}

/// Asserts that neither the `Debug` nor the `Display` text of `value` holds any of `secrets`,
/// nor anything shaped like a whole OpenRouter key.
pub fn assert_hides_secrets<T: Debug + ?Sized>(value: &T, display: &str, secrets: &[&str]) {
    let debug = format!("{value:?}");
    for text in [&debug, display] {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret leaked into {text:?}");
        }
        assert!(
            !holds_whole_key(text),
            "something shaped like a key leaked into {text:?}"
        );
    }
}

/// Whether `text` has `sk-or-v1-` followed by 16 or more hex digits.
fn holds_whole_key(text: &str) -> bool {
    text.match_indices("sk-or-v1-").any(|(at, prefix)| {
        text[at + prefix.len()..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .count()
            >= 16
    })
}

/// `amount` as the fake OpenRouter's money.
pub fn fake_usd(amount: Usd) -> fake::Usd {
    fake::Usd::from_micros(amount.micros())
}

/// `usage` as the fake OpenRouter's counters.
pub fn fake_usage(usage: Usage) -> fake::Usage {
    fake::Usage {
        total: fake_usd(usage.total),
        daily: fake_usd(usage.daily),
        weekly: fake_usd(usage.weekly),
        monthly: fake_usd(usage.monthly),
    }
}

/// `reset` as the fake OpenRouter's reset period.
pub fn fake_reset(reset: LimitReset) -> fake::LimitReset {
    match reset {
        LimitReset::Daily => fake::LimitReset::Daily,
        LimitReset::Weekly => fake::LimitReset::Weekly,
        LimitReset::Monthly => fake::LimitReset::Monthly,
        LimitReset::Never => fake::LimitReset::Never,
    }
}

/// A `GET /activity` row for the fake: `cents` spent on `model` on the UTC day `date`.
pub fn fake_activity(date: &str, model: &str, cents: i64, requests: i64) -> fake::ActivityRow {
    fake::ActivityRow {
        date: date.to_string(),
        model: model.to_string(),
        usage: fake::Usd::from_cents(cents),
        requests,
        prompt_tokens: requests * 100,
        completion_tokens: requests * 50,
    }
}
