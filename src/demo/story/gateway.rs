//! The story's scenes told over HTTP instead of Discord: a member on the shared tier points
//! their client at the bot's gateway with the token they revealed, and calls it.

use secrecy::SecretString;

use super::Story;
use crate::demo::DemoError;
use crate::demo::cast::Person;
use crate::demo::client::GatewayClient;
use crate::demo::stage;
use crate::demo::transcript::Event;

/// The most requests a batch sends before the story gives up on the gateway refusing one.
const BATCH_MAX: usize = 20;

/// What a client sends to the gateway.
#[derive(Debug, Clone, Copy)]
pub(super) enum Calls {
    /// One chat request for this model.
    Once(&'static str),
    /// Chat requests for this model, one after another, until the gateway refuses one.
    UntilRefused(&'static str),
}

/// A person's client of the gateway, and their token as the bot stores it.
#[derive(Clone)]
pub(super) struct Caller {
    client: GatewayClient,
    token_hash: String,
}

impl Story<'_, '_, '_> {
    /// `person` points their client at the gateway with the token they just revealed.
    pub(super) async fn sets_up_client(
        &mut self,
        person: Person,
        token: &str,
    ) -> Result<(), DemoError> {
        let url = self
            .stage
            .gateway_url()
            .ok_or_else(|| DemoError::story("the bot runs no gateway"))?;
        let public_url = self
            .stage
            .config
            .gateway
            .as_ref()
            .map_or_else(|| url.clone(), |g| g.public_url.clone());
        self.tell(Event::Aside(format!(
            "the ortb_… token is fake as well: the demo's gateway made it, and it works only at that gateway, which stops with the demo. \
             {public_url} is a made-up address: the demo's gateway listens on {url}, and {}'s client calls it there",
            person.display_name
        )))
        .await?;
        let caller = Caller {
            client: GatewayClient::new(url, SecretString::from(token))?,
            token_hash: stage::gateway_token_of(self.stage, person).await?,
        };
        self.callers.insert(person.id, caller);
        Ok(())
    }

    /// `person`'s client calls the gateway; each answer is told once the gateway has counted it.
    pub(super) async fn calls_gateway(
        &mut self,
        person: Person,
        calls: Calls,
    ) -> Result<(), DemoError> {
        let caller = self.callers.get(&person.id).cloned().ok_or_else(|| {
            DemoError::story(format!("{} has no gateway token", person.display_name))
        })?;
        let (model, at_most) = match calls {
            Calls::Once(model) => (model, 1),
            Calls::UntilRefused(model) => {
                self.act(
                    person,
                    format!(
                        "runs a batch of prompts against {model}: the script sends one request after another and stops at the first one the gateway refuses"
                    ),
                )
                .await?;
                (model, BATCH_MAX)
            }
        };
        for _ in 0..at_most {
            let exchange = caller.client.chat(model).await?;
            let since = self.transcript.week_start();
            stage::gateway_settled(self.stage, &caller.token_hash, since).await?;
            self.tell(Event::Exchange {
                person: person.display_name,
                exchange: exchange.clone(),
            })
            .await?;
            if exchange.served() {
                self.tells_lowered_cap(person).await?;
            } else {
                return Ok(());
            }
        }
        match calls {
            Calls::Once(_) => Ok(()),
            Calls::UntilRefused(_) => Err(DemoError::story(format!(
                "the gateway served {BATCH_MAX} requests in a row and refused none"
            ))),
        }
    }

    /// Tells when the gateway forwarded the last request with a lower output cap than the
    /// tier's (it lowers the cap so that the request's cost fits the budget it holds for it).
    async fn tells_lowered_cap(&mut self, person: Person) -> Result<(), DemoError> {
        let tier_cap = self
            .stage
            .config
            .tiers
            .all()
            .iter()
            .rev()
            .find(|t| t.role_ids.iter().any(|r| person.roles.contains(r)))
            .and_then(|t| t.max_output_tokens);
        let forwarded = self
            .stage
            .openrouter
            .completion_requests()
            .last()
            .and_then(|r| r.body.get("max_tokens").and_then(|v| v.as_u64()));
        if let (Some(tier_cap), Some(forwarded)) = (tier_cap, forwarded)
            && forwarded < tier_cap
        {
            self.tell(Event::Aside(format!(
                "the gateway lowered this request's max_tokens from the tier's {tier_cap} to {forwarded} before forwarding it, so that its cost cannot pass the budget"
            )))
            .await?;
        }
        Ok(())
    }
}

/// The `ortb_...` gateway token shown in a text, if any.
pub(super) fn gateway_token_in(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == '`')
        .find(|word| word.starts_with("ortb_") && word.len() > 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_token_is_found_in_its_code_block_and_a_key_is_not_one() {
        let reveal =
            "**Your gateway token** (shown only this once):\n```\nortb_0123456789abcdef0123\n```";
        assert_eq!(gateway_token_in(reveal), Some("ortb_0123456789abcdef0123"));
        assert_eq!(gateway_token_in("`sk-or-v1-0123456789abcdef0123`"), None);
        assert_eq!(gateway_token_in("export OPENAI_API_KEY=ortb_..."), None);
    }
}
