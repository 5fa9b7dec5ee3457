//! How fast the demo plays for a person watching: the only deliberate pauses in it, scaled by
//! `--speed`. Nothing waits on them; every wait for the bot is on an event.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The pause after each line of the transcript at speed 1.
const LINE: Duration = Duration::from_millis(30);
/// The extra pause when a new simulated day begins, at speed 1.
const DAY: Duration = Duration::from_millis(250);

/// `--speed`: 1 plays the whole week in a few seconds, 2 twice as fast, 0.5 half as fast; 0 does
/// not pause at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed(f64);

impl Speed {
    /// No pauses: as fast as the machine goes (the tests use this).
    pub const FASTEST: Speed = Speed(0.0);
    /// A few seconds for the whole week.
    pub const NORMAL: Speed = Speed(1.0);

    fn scale(self, pause: Duration) -> Duration {
        if self.0 == 0.0 {
            Duration::ZERO
        } else {
            pause.div_f64(self.0)
        }
    }

    /// After a line of the transcript.
    pub async fn after_line(self) {
        pause(self.scale(LINE)).await;
    }

    /// When a new simulated day begins.
    pub async fn new_day(self) {
        pause(self.scale(DAY)).await;
    }
}

impl Default for Speed {
    fn default() -> Speed {
        Speed::NORMAL
    }
}

async fn pause(length: Duration) {
    if !length.is_zero() {
        tokio::time::sleep(length).await;
    }
}

impl FromStr for Speed {
    type Err = String;

    fn from_str(text: &str) -> Result<Speed, String> {
        match text.trim().parse::<f64>() {
            Ok(n) if (0.0..=1000.0).contains(&n) => Ok(Speed(n)),
            _ => Err(format!(
                "{text:?} is not a speed: use a number such as 1 (a few seconds), 2 (twice as fast), 0.5 (slower) or 0 (no pauses)"
            )),
        }
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_scale_the_pauses_and_zero_removes_them() {
        assert_eq!("2".parse::<Speed>().unwrap().scale(LINE), LINE / 2);
        assert_eq!(Speed::FASTEST.scale(DAY), Duration::ZERO);
        assert!("-1".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
        assert!("NaN".parse::<Speed>().is_err());
    }
}
