//! A member's key as Discord shows it: the one-time reveal, what became of a replaced key, and
//! the revoke confirmation.

use poise::serenity_prelude as serenity;
use secrecy::ExposeSecret;
use serenity::{ButtonStyle, CreateActionRow, CreateEmbed, CreateEmbedFooter};

use super::{GREEN, RED, TITLE_MAX, button, models_line, truncate};
use crate::discord::custom_id::Action;
use crate::team::provisioning::{Replaced, ReplacedState, Revealed, limit_words};

/// The one-time reveal: the key and a quick start, for its owner only.
pub fn revealed(revealed: &Revealed, team_title: &str) -> CreateEmbed {
    let secret = revealed.secret.expose_secret();
    let title = format!("{team_title} / {}", revealed.member_name);
    let model = revealed
        .tier
        .allowed_models
        .as_ref()
        .and_then(|m| m.first().cloned())
        .unwrap_or_else(|| "openai/gpt-4o-mini".into());
    let mut description = match &revealed.base_url {
        None => {
            let quick_start = format!(
                "```sh\nexport OPENROUTER_API_KEY={secret}\ncurl https://openrouter.ai/api/v1/chat/completions \\\n  -H \"Authorization: Bearer $OPENROUTER_API_KEY\" \\\n  -H \"HTTP-Referer: https://discord.com\" \\\n  -H \"X-OpenRouter-Title: {title}\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"model\": \"{model}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello\"}}]}}'\n```"
            );
            format!(
                "**Your key** (shown only this once; copy it now):\n```\n{secret}\n```\nBase URL: `https://openrouter.ai/api/v1` (OpenAI-compatible). Keep the key in an environment variable such as `OPENROUTER_API_KEY`; never commit it.\n\n**Quick start**\n{quick_start}"
            )
        }
        Some(base_url) => {
            let quick_start = format!(
                "```sh\nexport OPENAI_BASE_URL={base_url}\nexport OPENAI_API_KEY={secret}\ncurl $OPENAI_BASE_URL/chat/completions \\\n  -H \"Authorization: Bearer $OPENAI_API_KEY\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"model\": \"{model}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello\"}}]}}'\n```"
            );
            format!(
                "**Your gateway token** (shown only this once; copy it now):\n```\n{secret}\n```\nBase URL: `{base_url}` (the team's gateway: OpenRouter's OpenAI-compatible API on the team's key, with your budget and models). Any OpenAI or OpenRouter client works with these two settings; keep the token in an environment variable, never commit it.\n\n**Quick start**\n{quick_start}"
            )
        }
    };
    if let Some(old) = &revealed.replaced {
        description.push_str(&format!("\n{}", replaced_words(old)));
    }
    CreateEmbed::new()
        .title(truncate(
            &match revealed.base_url {
                Some(_) => format!("Your gateway token {}", revealed.key.name),
                None => format!("Your key {}", revealed.key.name),
            },
            TITLE_MAX,
        ))
        .color(GREEN)
        .description(description)
        .field("Limit", limit_words(&revealed.tier), true)
        .field("Tier", revealed.tier.name.to_string(), true)
        .field(
            "Allowed models",
            truncate(&models_line(&revealed.tier), 1024),
            false,
        )
        .footer(CreateEmbedFooter::new(
            "This message is visible only to you. Lost it? /mykey > Rotate makes a new key.",
        ))
}

/// What became of the key a rotation replaced, for its owner.
pub fn replaced_words(old: &Replaced) -> String {
    let name = &old.name;
    match old.state {
        ReplacedState::Deleted => format!("Your previous key `{name}` has been deleted."),
        ReplacedState::DisabledAwaitingDeletion => format!(
            "Your previous key `{name}` is disabled and no longer works. OpenRouter did not delete it yet; the bot keeps trying until it is gone, and the admins have been told."
        ),
        ReplacedState::LiveAwaitingDeletion => format!(
            "**Your previous key `{name}` still works**: OpenRouter failed to delete or disable it. The bot keeps trying until it is gone, and the admins have been told."
        ),
    }
}

/// The alerts-channel notice of a replaced key that is not gone yet.
pub fn replaced_key_pending(member_name: &str, old: &Replaced) -> CreateEmbed {
    let state = match old.state {
        ReplacedState::Deleted => "deleted",
        ReplacedState::DisabledAwaitingDeletion => "disabled, not yet deleted",
        ReplacedState::LiveAwaitingDeletion => {
            "still live (OpenRouter failed to delete or disable it)"
        }
    };
    CreateEmbed::new()
        .title("Rotated key not deleted yet")
        .color(RED)
        .description(format!(
            "{member_name} rotated their key; the previous key `{}` is {state}. The bot retries the deletion with every sync until it is gone.",
            old.name
        ))
}

/// "Revoke" on `/mykey`: what revoking does, and the button that does it.
pub fn revoke_confirmation() -> (CreateEmbed, Vec<CreateActionRow>) {
    (
        CreateEmbed::new()
            .title("Revoke your key?")
            .description("The key is deleted at OpenRouter at once: anything using it stops working. You can request a new key afterwards.")
            .color(RED),
        vec![CreateActionRow::Buttons(vec![button(
            Action::ConfirmRevoke,
            "Yes, revoke my key",
            ButtonStyle::Danger,
        )])],
    )
}
