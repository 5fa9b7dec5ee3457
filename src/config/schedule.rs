//! The weekly digest's time: a weekday and a wall-clock time in the team's time zone.

use std::fmt;

use chrono::{NaiveTime, Weekday};

/// When the weekly digest is posted, such as `"Mon 09:00"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklySchedule {
    pub weekday: Weekday,
    pub time: NaiveTime,
}

impl WeeklySchedule {
    /// Parses `"<weekday> HH:MM"` with an English weekday (`Mon` or `Monday`, any case).
    pub fn parse(text: &str) -> Result<WeeklySchedule, String> {
        let mut parts = text.split_whitespace();
        let (Some(day), Some(time), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "{text:?} is not a weekly time (expected a weekday and a time, like \"Mon 09:00\")"
            ));
        };
        let weekday: Weekday = day.parse().map_err(|_| {
            format!("{day:?} is not a weekday (expected Mon, Tue, ... or Monday, ...)")
        })?;
        let time = NaiveTime::parse_from_str(time, "%H:%M")
            .map_err(|_| format!("{time:?} is not a time of day (expected HH:MM, 24-hour)"))?;
        Ok(WeeklySchedule { weekday, time })
    }
}

impl fmt::Display for WeeklySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.weekday, self.time.format("%H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_weekdays() {
        let s = WeeklySchedule::parse("mon 09:00").unwrap();
        assert_eq!(s.weekday, Weekday::Mon);
        assert_eq!(s.to_string(), "Mon 09:00");
        assert_eq!(
            WeeklySchedule::parse("Friday 17:30").unwrap().weekday,
            Weekday::Fri
        );
        assert!(WeeklySchedule::parse("Mon 25:00").is_err());
        assert!(WeeklySchedule::parse("Someday 09:00").is_err());
        assert!(WeeklySchedule::parse("Mon").is_err());
    }
}
