//! What the bot posted or edited in the server's channels and in people's DMs since the demo
//! last looked: the things a person would notice appearing, in the order they appeared.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fakes::discord::{FakeDiscord, Message};

/// Where a message appeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A channel of the server, for everyone in it.
    Channel(u64),
    /// A direct message to this user.
    Dm(u64),
}

/// A message that is new, or changed, since the last look.
#[derive(Debug, Clone)]
pub struct Posting {
    /// Where it appeared.
    pub place: Place,
    /// The message as it stands now.
    pub message: Message,
    /// The message was there before and has been edited since.
    pub edited: bool,
}

impl Posting {
    fn happened_at(&self) -> DateTime<Utc> {
        match (self.edited, self.message.edited_at) {
            (true, Some(at)) => at,
            _ => self.message.created_at,
        }
    }
}

/// The channels and DMs being watched, and how far each message has been seen.
pub struct Feed {
    places: Vec<Place>,
    /// Message id -> the number of edits seen.
    seen: HashMap<u64, u32>,
}

impl Feed {
    pub fn new(places: Vec<Place>) -> Feed {
        Feed {
            places,
            seen: HashMap::new(),
        }
    }

    /// Everything posted or edited in the watched places since the last call, oldest first.
    pub fn news(&mut self, discord: &FakeDiscord) -> Vec<Posting> {
        let mut news = Vec::new();
        for place in &self.places {
            let messages = match place {
                Place::Channel(id) => discord.messages_in(*id),
                Place::Dm(user) => discord.dms_to(*user),
            };
            for message in messages {
                let edited = match self.seen.get(&message.id) {
                    None => false,
                    Some(edits) if *edits < message.edit_count => true,
                    Some(_) => continue,
                };
                news.push(Posting {
                    place: *place,
                    message,
                    edited,
                });
            }
        }
        news.sort_by_key(|p| (p.happened_at(), p.message.id));
        for posting in &news {
            self.saw(&posting.message);
        }
        news
    }

    /// Marks a message, as it stands, as seen (for example a card that was just shown as the
    /// answer to a click).
    pub fn saw(&mut self, message: &Message) {
        self.seen.insert(message.id, message.edit_count);
    }
}
