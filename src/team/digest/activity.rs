//! Which models the team used, from OpenRouter's `GET /activity`: an optional input, so a digest
//! can be built from the database alone (the CLI) and gains its model columns when the job has
//! asked OpenRouter.
//!
//! Activity is reported per UTC day; a digest's week is counted as the UTC days with the same
//! dates as its local Monday to Sunday.

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::stream::{self, StreamExt};

use super::DigestWeek;
use crate::domain::KeyHash;
use crate::money::{Usd, whole_percent_shares};
use crate::openrouter::{ActivityRow, ManagementApi};

/// What OpenRouter said about model usage, as far as it was asked and answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelActivity {
    /// Rows for the whole account (`GET /activity`), if it answered.
    pub team: Option<Vec<ActivityRow>>,
    /// Rows per key hash (`GET /activity?api_key_hash=...`), for the keys that answered.
    pub by_key: HashMap<String, Vec<ActivityRow>>,
}

/// One model's share of the week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpend {
    pub model: String,
    pub usage: Usd,
    /// Share of all model usage in the week, in whole percent; the shares of all models add up
    /// to 100.
    pub percent: i64,
}

impl ModelActivity {
    /// The `count` models the team spent most on in `week`, or `None` when OpenRouter was not
    /// asked (the per-key rows stand in when the account-wide ones are missing).
    pub fn top_models(&self, week: DigestWeek, count: usize) -> Option<Vec<ModelSpend>> {
        let rows: Vec<&ActivityRow> = match &self.team {
            Some(rows) => rows.iter().collect(),
            None if self.by_key.is_empty() => return None,
            None => self.by_key.values().flatten().collect(),
        };
        Some(
            ranked(rows, |day| in_week(day, week))
                .into_iter()
                .take(count)
                .collect(),
        )
    }

    /// The model these keys spent most on in `week`, if OpenRouter reported any.
    pub fn top_model_of<'a>(
        &self,
        key_hashes: impl IntoIterator<Item = &'a str>,
        week: DigestWeek,
    ) -> Option<String> {
        let rows: Vec<&ActivityRow> = key_hashes
            .into_iter()
            .filter_map(|hash| self.by_key.get(hash))
            .flatten()
            .collect();
        ranked(rows, |day| in_week(day, week))
            .into_iter()
            .next()
            .map(|m| m.model)
    }
}

/// The models a key spent on from the UTC day `from` on, largest first, with their shares of
/// that spend (all of it, the models past `count` included).
pub fn top_models_since(rows: &[ActivityRow], from: NaiveDate, count: usize) -> Vec<ModelSpend> {
    ranked(rows.iter().collect(), |day| day >= from)
        .into_iter()
        .take(count)
        .collect()
}

/// Models by usage on the days `counted`, largest first (ties by name), with their share.
fn ranked(rows: Vec<&ActivityRow>, counted: impl Fn(NaiveDate) -> bool) -> Vec<ModelSpend> {
    let mut by_model: HashMap<&str, Usd> = HashMap::new();
    let rows = rows
        .into_iter()
        .filter(|row| NaiveDate::parse_from_str(&row.date, "%Y-%m-%d").is_ok_and(&counted));
    for row in rows {
        let usage = by_model.entry(row.model.as_str()).or_default();
        *usage = *usage + row.usage;
    }
    let mut models: Vec<(&str, Usd)> = by_model
        .into_iter()
        .filter(|(model, usage)| !model.is_empty() && *usage > Usd::ZERO)
        .collect();
    models.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let usages: Vec<Usd> = models.iter().map(|(_, usage)| *usage).collect();
    models
        .into_iter()
        .zip(whole_percent_shares(&usages))
        .map(|((model, usage), percent)| ModelSpend {
            model: model.to_string(),
            usage,
            percent,
        })
        .collect()
}

fn in_week(day: NaiveDate, week: DigestWeek) -> bool {
    day >= week.monday() && day <= week.sunday()
}

/// Asks OpenRouter for the account's activity and for each key's, at most `concurrency` calls
/// at a time. A call that fails leaves its part out (and is logged): the digest is still built.
pub async fn fetch_activity(
    api: &dyn ManagementApi,
    key_hashes: &[String],
    concurrency: usize,
) -> ModelActivity {
    let team = match api.activity(None).await {
        Ok(rows) => Some(rows),
        Err(error) => {
            tracing::warn!(%error, "activity for the digest is unavailable");
            None
        }
    };
    let by_key = stream::iter(key_hashes.iter().cloned())
        .map(|hash| async move {
            let rows = api.activity(Some(&KeyHash(hash.clone()))).await;
            (hash, rows)
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|(hash, rows)| async move {
            match rows {
                Ok(rows) => Some((hash, rows)),
                Err(error) => {
                    tracing::warn!(%error, key = %hash, "a key's activity is unavailable");
                    None
                }
            }
        })
        .collect()
        .await;
    ModelActivity { team, by_key }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(date: &str, model: &str, dollars: i64) -> ActivityRow {
        ActivityRow {
            date: date.into(),
            model: model.into(),
            usage: Usd::from_dollars(dollars),
            requests: 1,
            prompt_tokens: 0,
            completion_tokens: 0,
        }
    }

    #[test]
    fn only_the_weeks_days_count_and_the_biggest_model_wins() {
        let week = DigestWeek::parse_iso("2026-W48", chrono_tz::Tz::UTC).unwrap();
        let activity = ModelActivity {
            team: None,
            by_key: HashMap::from([
                (
                    "a".to_string(),
                    vec![
                        row("2026-11-23", "openai/gpt-4o", 3),
                        row("2026-11-29", "meta/llama", 2),
                        row("2026-11-22", "meta/llama", 50),
                    ],
                ),
                ("b".to_string(), vec![row("2026-11-24", "meta/llama", 2)]),
            ]),
        };
        assert_eq!(
            activity.top_model_of(["a"], week).as_deref(),
            Some("openai/gpt-4o")
        );
        assert_eq!(
            activity.top_model_of(["a", "b"], week).as_deref(),
            Some("meta/llama")
        );
        let top = activity.top_models(week, 5).unwrap();
        assert_eq!(top[0].model, "meta/llama");
        assert_eq!(top[0].percent, 57);
        assert_eq!(ModelActivity::default().top_models(week, 5), None);
    }
}
