//! The week a digest covers: Monday 00:00 to the next Monday 00:00 in the team's time zone.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// The first and last days a week may touch: nothing is recorded before 1970, and staying far
/// from the ends of chrono's calendar (years -262143 to 262142) keeps the day arithmetic below from
/// overflowing.
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// A calendar week in the team's time zone (`reports.timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestWeek {
    monday: NaiveDate,
    timezone: Tz,
}

/// Why a week could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a week: use `last` or an ISO week such as 2026-W47")]
pub struct InvalidWeek(pub String);

impl DigestWeek {
    /// The week that contains `at` (a clock reading, so between 1970 and 9999; a clock outside
    /// them gets the nearest week inside).
    pub fn containing(at: DateTime<Utc>, timezone: Tz) -> DigestWeek {
        let day = at
            .with_timezone(&timezone)
            .date_naive()
            .clamp(FIRST_DAY, LAST_DAY);
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        DigestWeek { monday, timezone }
    }

    /// The last week that has fully ended at `now` (a week ending exactly at `now` counts).
    pub fn last_full(now: DateTime<Utc>, timezone: Tz) -> DigestWeek {
        DigestWeek::containing(now, timezone).previous()
    }

    /// An ISO week such as `2026-W47` (weeks start on Monday; week 1 holds the year's first
    /// Thursday), in the years 1970 to 9999.
    pub fn parse_iso(text: &str, timezone: Tz) -> Result<DigestWeek, InvalidWeek> {
        let invalid = || InvalidWeek(text.to_string());
        let trimmed = text.trim();
        let (year, week) = trimmed.split_once(['W', 'w']).ok_or_else(invalid)?;
        let year: i32 = year.trim_end_matches('-').parse().map_err(|_| invalid())?;
        if !(FIRST_DAY.year()..=LAST_DAY.year()).contains(&year) {
            return Err(invalid());
        }
        let week: u32 = week.parse().map_err(|_| invalid())?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(invalid)?;
        Ok(DigestWeek { monday, timezone })
    }

    /// The week before this one.
    pub fn previous(self) -> DigestWeek {
        DigestWeek {
            monday: self.monday - Duration::days(7),
            ..self
        }
    }

    /// The week after this one.
    pub fn next(self) -> DigestWeek {
        DigestWeek {
            monday: self.monday + Duration::days(7),
            ..self
        }
    }

    /// Its Monday, in the team's time zone.
    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    /// Its Sunday, in the team's time zone.
    pub fn sunday(self) -> NaiveDate {
        self.monday + Duration::days(6)
    }

    /// The team's time zone, which the week's days follow.
    pub fn timezone(self) -> Tz {
        self.timezone
    }

    /// When the week starts (Monday 00:00 local).
    pub fn start(self) -> DateTime<Utc> {
        self.day_start(0)
    }

    /// When the week ends, exclusive (the next Monday 00:00 local).
    pub fn end(self) -> DateTime<Utc> {
        self.day_start(7)
    }

    /// When local day `offset` counted from this Monday starts (negative offsets reach back).
    pub fn day_start(self, offset: i64) -> DateTime<Utc> {
        local_midnight(self.monday + Duration::days(offset), self.timezone)
    }

    /// The ISO week name, such as `2026-W47`.
    pub fn iso_name(self) -> String {
        let week = self.monday.iso_week();
        format!("{}-W{:02}", week.year(), week.week())
    }

    /// The dates in words, such as `Mon 16 Nov – Sun 22 Nov 2026`.
    pub fn dates(self) -> String {
        let sunday = self.sunday();
        let first = if self.monday.year() == sunday.year() {
            self.monday.format("%a %-d %b").to_string()
        } else {
            self.monday.format("%a %-d %b %Y").to_string()
        };
        format!("{first} – {}", sunday.format("%a %-d %b %Y"))
    }
}

impl fmt::Display for DigestWeek {
    /// `2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, Europe/Berlin)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {})",
            self.iso_name(),
            self.dates(),
            self.timezone.name()
        )
    }
}

/// The instant a local day starts. Where a daylight-saving change skips midnight, the day starts
/// at its first minute that exists; where midnight happens twice, at the first.
fn local_midnight(day: NaiveDate, timezone: Tz) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    match timezone.from_local_datetime(&midnight) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => (1..=24 * 60)
            .find_map(|minutes| {
                timezone
                    .from_local_datetime(&(midnight + Duration::minutes(minutes)))
                    .earliest()
            })
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_last_full_week_ends_at_the_latest_local_monday_midnight() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Monday 09:00 in Berlin (08:00 UTC): last week is Mon 23 to Sun 29 November.
        let week = DigestWeek::last_full(at("2026-11-30T08:00:00Z"), berlin);
        assert_eq!(week.iso_name(), "2026-W48");
        assert_eq!(week.start(), at("2026-11-22T23:00:00Z"));
        assert_eq!(week.end(), at("2026-11-29T23:00:00Z"));
        // Sunday 23:30 UTC is already Monday in Berlin.
        let week = DigestWeek::last_full(at("2026-11-29T23:30:00Z"), berlin);
        assert_eq!(week.iso_name(), "2026-W48");
        // One minute earlier it is still Sunday there: that week is not over yet.
        let week = DigestWeek::last_full(at("2026-11-29T22:59:00Z"), berlin);
        assert_eq!(week.iso_name(), "2026-W47");
    }

    #[test]
    fn a_week_across_a_daylight_saving_change_is_not_168_hours() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let week = DigestWeek::parse_iso("2026-W43", berlin).unwrap();
        assert_eq!(week.start(), at("2026-10-18T22:00:00Z"));
        assert_eq!(week.end(), at("2026-10-25T23:00:00Z"));
        assert_eq!((week.end() - week.start()).num_hours(), 169);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_its_first_minute() {
        // Chile moved its clocks from 00:00 to 01:00 on Sunday 2026-09-06.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        let start = local_midnight(day, santiago);
        assert_eq!(start, at("2026-09-06T04:00:00Z"));
    }

    #[test]
    fn iso_weeks_are_read_and_named() {
        let utc = Tz::UTC;
        let week = DigestWeek::parse_iso("2026-W01", utc).unwrap();
        assert_eq!(
            week.monday(),
            NaiveDate::from_ymd_opt(2025, 12, 29).unwrap()
        );
        assert_eq!(week.iso_name(), "2026-W01");
        assert_eq!(week.dates(), "Mon 29 Dec 2025 – Sun 4 Jan 2026");
        assert_eq!(
            DigestWeek::parse_iso("2026w47", utc).unwrap().iso_name(),
            "2026-W47"
        );
        assert_eq!(week.previous().next(), week);
        for bad in ["2026-W54", "last", "2026-47", "W47", ""] {
            assert!(DigestWeek::parse_iso(bad, utc).is_err(), "{bad}");
        }
        assert_eq!(
            DigestWeek::parse_iso("2026-W47", utc).unwrap().to_string(),
            "2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, UTC)"
        );
    }

    #[test]
    fn weeks_at_the_ends_of_the_calendar_are_refused_rather_than_overflowing() {
        for far in ["262142-W52", "-262143-W02", "10000-W01", "1969-W52"] {
            assert!(DigestWeek::parse_iso(far, Tz::UTC).is_err(), "{far}");
        }
        for edge in ["1970-W02", "9999-W52"] {
            let week = DigestWeek::parse_iso(edge, Tz::UTC).unwrap();
            assert!(week.previous().start() < week.next().end(), "{edge}");
        }
        for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            let week = DigestWeek::containing(at, Tz::UTC);
            assert!(week.previous().start() < week.next().end(), "{at}");
        }
    }
}
