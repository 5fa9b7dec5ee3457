//! The digest's full member table as CSV, one row per member plus one for unowned keys, so a
//! spreadsheet gets every figure that chat messages had to split.

use std::fmt::Write as _;

use crate::money::Usd;
use crate::team::digest::{Digest, WeekSpend};

/// The header row's columns.
pub const COLUMNS: &str = "member,status,this_week_usd,last_week_usd,change_usd,change_percent,\
limit_usd,limit_reset,limit_pace_percent,limit_peak_percent,top_model,live_keys,access";

/// The label of the unowned keys' row (no member name can look like it).
pub const UNOWNED_ROW: &str = "(unowned keys)";

/// The table with a header row; amounts in US dollars with every significant decimal.
pub fn render_csv(digest: &Digest) -> String {
    let mut out = format!("{COLUMNS}\n");
    for member in &digest.members {
        let limit = member.limit.as_ref();
        let row = [
            field(member.name.as_str()),
            (if member.departed {
                "departed"
            } else {
                "active"
            })
            .to_string(),
            spend_fields(&member.spend),
            limit.map(|l| dollars(l.limit)).unwrap_or_default(),
            limit
                .map(|l| l.reset.as_str().to_string())
                .unwrap_or_default(),
            limit
                .and_then(|l| l.pace_percent)
                .map(|p| p.to_string())
                .unwrap_or_default(),
            limit
                .and_then(|l| l.peak_percent)
                .map(|p| p.to_string())
                .unwrap_or_default(),
            field(member.top_model.as_deref().unwrap_or("")),
            member.keys.to_string(),
            member
                .access
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
        ];
        let _ = writeln!(out, "{}", row.join(","));
    }
    let unowned = &digest.unowned;
    let _ = writeln!(
        out,
        "{},,{},,,,,,{},",
        field(UNOWNED_ROW),
        spend_fields(&unowned.spend),
        unowned.keys
    );
    out
}

/// `this,last,change,percent`.
fn spend_fields(spend: &WeekSpend) -> String {
    format!(
        "{},{},{},{}",
        dollars(spend.this_week),
        dollars(spend.last_week),
        dollars(spend.change()),
        spend
            .change_percent()
            .map(|p| p.to_string())
            .unwrap_or_default()
    )
}

/// `12.50`, `0.0042`, `-1.50`: the amount without its dollar sign, exact.
pub fn dollars(amount: Usd) -> String {
    amount.to_string().replacen('$', "", 1)
}

/// Quotes a field when it needs it; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet never runs a name as a formula.
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_fields_are_safe() {
        assert_eq!(dollars(Usd::from_micros(-1_500_000)), "-1.50");
        assert_eq!(dollars(Usd::from_micros(4_200)), "0.0042");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("=cmd"), "'=cmd");
        assert_eq!(COLUMNS.split(',').count(), 13);
    }
}
