//! The demo's transcript: every event of the story as it happens, printed as one terminal line
//! with the simulated day and time, and kept for the Markdown file written at the end.

use std::io::Write;

use chrono::{DateTime, Utc};
use fakes::discord::{Message, Modal};

use super::DemoError;
use super::cast;
use super::client::Exchange;
use super::feed::{Place, Posting};
use super::pace::Speed;
use super::reading;

/// How many days the story's week has.
pub const DAYS: i64 = 7;

/// Who sees something the bot shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Audience {
    /// An ephemeral answer: only this person sees it.
    OnlyFor(&'static str),
    /// Everyone in this channel (name without `#`).
    Channel(&'static str),
    /// A direct message to this person.
    Dm(&'static str),
}

impl Audience {
    /// Who sees a message the bot posted in a watched place.
    pub fn of(place: Place) -> Audience {
        match place {
            Place::Channel(id) => Audience::Channel(cast::channel_name(id).unwrap_or("a channel")),
            Place::Dm(user) => Audience::Dm(cast::display_name(user).unwrap_or("someone")),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new simulated day begins.
    Day,
    /// What happens in the simulated world outside Discord: the clock, usage at OpenRouter,
    /// someone leaving the server.
    Narration(String),
    /// A person does something in Discord: runs a command, clicks, fills in a form.
    Action { person: &'static str, what: String },
    /// The bot shows a message, or changes one it showed.
    Bot {
        to: Audience,
        message: Message,
        edited: bool,
    },
    /// The bot opens a form.
    Form { to: &'static str, modal: Modal },
    /// A person's client calls the bot's gateway over HTTP, and the gateway answers.
    Exchange {
        person: &'static str,
        exchange: Exchange,
    },
    /// A remark about the demo itself (such as: this key is fake).
    Aside(String),
}

/// An event at its simulated time.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The simulated time.
    pub at: DateTime<Utc>,
    pub event: Event,
}

/// The story so far, echoed to the terminal as it is told.
pub struct Transcript<'w> {
    terminal: &'w mut dyn Write,
    speed: Speed,
    /// Monday 00:00 UTC of the story's week.
    week_start: DateTime<Utc>,
    entries: Vec<Entry>,
}

impl<'w> Transcript<'w> {
    pub fn new(terminal: &'w mut dyn Write, speed: Speed, week_start: DateTime<Utc>) -> Self {
        Transcript {
            terminal,
            speed,
            week_start,
            entries: Vec::new(),
        }
    }

    /// Everything told so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Monday 00:00 UTC of the story's week.
    pub fn week_start(&self) -> DateTime<Utc> {
        self.week_start
    }

    /// Writes a line to the terminal that is not part of the story (headings, the summary).
    pub fn say(&mut self, line: &str) -> Result<(), DemoError> {
        writeln!(self.terminal, "{line}")?;
        self.terminal.flush()?;
        Ok(())
    }

    /// Records an event at `at`, prints it, and pauses for the watcher.
    pub async fn tell(&mut self, at: DateTime<Utc>, event: Event) -> Result<(), DemoError> {
        let line = match &event {
            Event::Day => None,
            event => Some(format!(
                "{}  {}",
                stamp(self.week_start, at),
                line_of(event)
            )),
        };
        let new_day = matches!(event, Event::Day);
        self.entries.push(Entry { at, event });
        if new_day {
            self.say("")?;
            self.speed.new_day().await;
        }
        if let Some(line) = line {
            self.say(&line)?;
            self.speed.after_line().await;
        }
        Ok(())
    }

    /// Tells what the bot posted or edited in the watched places.
    pub async fn tell_postings(
        &mut self,
        at: DateTime<Utc>,
        postings: Vec<Posting>,
    ) -> Result<(), DemoError> {
        for posting in postings {
            self.tell(
                at,
                Event::Bot {
                    to: Audience::of(posting.place),
                    message: posting.message,
                    edited: posting.edited,
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// Which day of the week the story is on, 1 to 7; 8 and on are after it.
pub fn day_number(week_start: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    (at - week_start).num_days() + 1
}

/// `[day 3/7] Wed 14:10`: the progress through the simulated week and the time of day (UTC).
fn stamp(week_start: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let day = day_number(week_start, at);
    let progress = if (1..=DAYS).contains(&day) {
        format!("[day {day}/{DAYS}]")
    } else if day > DAYS {
        "[week over]".to_string()
    } else {
        "[before]".to_string()
    };
    format!("{progress:<11} {}", at.format("%a %H:%M"))
}

/// The terminal line of an event (without the stamp).
fn line_of(event: &Event) -> String {
    match event {
        Event::Day => String::new(),
        Event::Narration(text) => format!("· {text}"),
        Event::Action { person, what } => format!("{person} {what}"),
        Event::Bot {
            to,
            message,
            edited,
        } => {
            let verb = match (to, edited) {
                (Audience::OnlyFor(person), false) => {
                    format!("→ {person} (ephemeral, only {person} sees it)")
                }
                (Audience::OnlyFor(person), true) => {
                    format!("updates its answer to {person} (ephemeral)")
                }
                (Audience::Channel(channel), false) => format!("→ #{channel}"),
                (Audience::Channel(channel), true) => format!("edits its post in #{channel}"),
                (Audience::Dm(person), false) => format!("→ DM to {person}"),
                (Audience::Dm(person), true) => format!("edits its DM to {person}"),
            };
            format!(
                "  {} {verb}: {}",
                cast::BOT_NAME,
                reading::one_line(message)
            )
        }
        Event::Form { to, modal } => format!(
            "  {} → {to} (only {to} sees it): {}",
            cast::BOT_NAME,
            reading::form_line(modal)
        ),
        Event::Exchange { person, exchange } => format!(
            "{person}'s client → the gateway: {} ← {}",
            exchange.request_words(),
            exchange.answer_words()
        ),
        Event::Aside(text) => format!("  ({text})"),
    }
}
