//! The digest as JSON, for scripts: amounts are integer micro-dollars (`*_micros`, 1 USD =
//! 1,000,000), times RFC 3339 in UTC, days `YYYY-MM-DD` in the team's time zone.

use serde_json::{Value, json};

use crate::team::MemberName;
use crate::team::digest::{Digest, Spender, WeekSpend};

/// The digest as a JSON document.
pub fn render_json(digest: &Digest) -> Value {
    let week = digest.week;
    json!({
        "week": {
            "iso": week.iso_name(),
            "dates": week.dates(),
            "timezone": week.timezone().name(),
            "start": week.start().to_rfc3339(),
            "end": week.end().to_rfc3339(),
        },
        "built_at": digest.built_at.to_rfc3339(),
        "status_at": digest.status_at.to_rfc3339(),
        "posted_late": digest.posted_late.map(|late| json!({"due_at": late.due_at.to_rfc3339()})),
        "total": spend(&digest.total),
        "unowned": {
            "keys": digest.unowned.keys,
            "spend": spend(&digest.unowned.spend),
        },
        "members": digest.members.iter().map(|m| json!({
            "name": m.name.as_str(),
            "departed": m.departed,
            "spend": spend(&m.spend),
            "limit": m.limit.map(|l| json!({
                "limit_micros": l.limit.micros(),
                "reset": l.reset.as_str(),
                "pace_percent": l.pace_percent,
                "peak_percent": l.peak_percent,
            })),
            "top_model": m.top_model,
            "live_keys": m.keys,
            "access": m.access.map(|a| a.as_str()),
        })).collect::<Vec<_>>(),
        "top_models": digest.top_models.as_ref().map(|models| models.iter().map(|m| json!({
            "model": m.model,
            "usage_micros": m.usage.micros(),
            "percent": m.percent,
        })).collect::<Vec<_>>()),
        "at_limit": digest.at_limit.iter().map(|a| json!({
            "member": member(a.member.as_ref()),
            "key_name": a.key_name,
            "reset": a.reset.as_str(),
            "peak_percent": a.peak().percent,
            "windows": a.reached.iter().map(|r| json!({
                "reached_at": r.at.to_rfc3339(),
                "used_micros": r.used.micros(),
                "stopped_by_gateway": r.stopped,
                "limit_micros": r.limit.micros(),
                "percent": r.percent,
                "top_up_micros": r.top_up.micros(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "idle_keys": {
            "days": digest.idle_key_days,
            "keys": digest.idle_keys.iter().map(|k| json!({
                "member": member(k.member.as_ref()),
                "key_name": k.key_name,
                "disabled": k.disabled,
            })).collect::<Vec<_>>(),
        },
        "expiring": digest.expiring.iter().map(|k| json!({
            "member": member(k.member.as_ref()),
            "key_name": k.key_name,
            "expires_at": k.expires_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "pending_requests": digest.pending_requests,
        "credits": digest.credits.map(|c| json!({
            "balance_micros": c.balance.micros(),
            "burn_last_7_days_micros": c.burn_last_7_days.micros(),
            "runway_days": c.runway_days,
        })),
        "spikes": digest.spikes.iter().map(|s| json!({
            "member": match &s.spender { Spender::Member(name) => Some(name.as_str()), Spender::UnownedKey(_) => None },
            "unowned_key": match &s.spender { Spender::UnownedKey(key) => Some(key.as_str()), Spender::Member(_) => None },
            "day": s.day.to_string(),
            "spent_micros": s.spent.micros(),
            "usual_micros": s.usual.micros(),
        })).collect::<Vec<_>>(),
    })
}

fn spend(spend: &WeekSpend) -> Value {
    json!({
        "this_week_micros": spend.this_week.micros(),
        "last_week_micros": spend.last_week.micros(),
        "change_micros": spend.change().micros(),
        "change_percent": spend.change_percent(),
    })
}

fn member(name: Option<&MemberName>) -> Option<&str> {
    name.map(MemberName::as_str)
}
