//! The gateway: a websocket server speaking Discord's gateway protocol v10 in JSON. It sends
//! HELLO, checks IDENTIFY (token and privileged intents, closing with 4004 or 4014 as Discord
//! does), answers with READY and GUILD_CREATE, acknowledges heartbeats, resumes sessions, and
//! sends the dispatches a test asks for.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::objects;
use super::state::{Outbound, Session, Shared, State};

/// Intent bit GUILDS.
pub const GUILDS: u64 = 1 << 0;
/// Intent bit GUILD_MEMBERS (privileged).
pub const GUILD_MEMBERS: u64 = 1 << 1;

/// How long to wait for the client's answer to a close frame before dropping the connection.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(5);

/// Accepts gateway connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, url: String) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, shared.clone(), url.clone()));
            }
            Err(error) => {
                tracing::warn!(%error, "the fake Discord gateway stopped accepting");
                return;
            }
        }
    }
}

/// What to do after a client message.
enum Next {
    Continue,
    Close(u16, &'static str),
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, url: String) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let interval = shared.read(|s| s.settings.heartbeat_interval);
    let hello = json!({"op": 10, "s": null, "t": null,
        "d": {"heartbeat_interval": interval.as_millis() as u64}});
    if sink.send(Message::Text(hello.to_string())).await.is_err() {
        return;
    }
    let mut identified = false;
    let close = loop {
        tokio::select! {
            incoming = source.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let next = shared.update(|state| {
                        on_client_message(state, &tx, &url, &text, &mut identified)
                    });
                    if let Next::Close(code, reason) = next {
                        break Some((code, reason.to_string()));
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                Some(Ok(_)) => {}
            },
            outgoing = rx.recv() => match outgoing {
                Some(Outbound::Text(text)) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break None;
                    }
                }
                Some(Outbound::Close(code, reason)) => break Some((code, reason)),
                None => break None,
            },
        }
    };
    shared.update(|state| {
        if let Some(session) = state.gateway.session.as_mut()
            && session
                .connection
                .as_ref()
                .is_some_and(|c| c.same_channel(&tx))
        {
            session.connection = None;
        }
        if let Some((code, _)) = &close {
            state.gateway.close_codes.push(*code);
        }
    });
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        if sink.send(Message::Close(Some(frame))).await.is_ok() {
            // Read until the client answers the close frame, so that it sees the code.
            let drain = async { while let Some(Ok(_)) = source.next().await {} };
            let _ = tokio::time::timeout(CLOSE_HANDSHAKE, drain).await;
        }
    }
}

fn on_client_message(
    state: &mut State,
    tx: &mpsc::UnboundedSender<Outbound>,
    url: &str,
    text: &str,
    identified: &mut bool,
) -> Next {
    let Ok(payload) = serde_json::from_str::<Value>(text) else {
        return Next::Close(4002, "Error while decoding payload.");
    };
    let data = payload.get("d").cloned().unwrap_or(Value::Null);
    match payload.get("op").and_then(Value::as_u64) {
        Some(1) => {
            state.gateway.heartbeats += 1;
            let _ = tx.send(Outbound::Text(json!({"op": 11}).to_string()));
            Next::Continue
        }
        Some(2) if *identified => Next::Close(4005, "Already authenticated."),
        Some(2) => {
            let next = identify(state, tx, url, &data);
            *identified = matches!(next, Next::Continue);
            next
        }
        Some(6) => {
            let (next, resumed) = resume(state, tx, &data);
            *identified = resumed;
            next
        }
        Some(_) if !*identified => Next::Close(4003, "Not authenticated."),
        Some(3 | 4 | 8) => Next::Continue,
        _ => Next::Close(4001, "Unknown opcode."),
    }
}

fn token_matches(state: &State, data: &Value) -> bool {
    let sent = data
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    sent.strip_prefix("Bot ").unwrap_or(sent) == state.guild.bot.token
}

fn identify(
    state: &mut State,
    tx: &mpsc::UnboundedSender<Outbound>,
    url: &str,
    data: &Value,
) -> Next {
    let mut recorded = data.clone();
    if let Some(obj) = recorded.as_object_mut() {
        obj.insert("token".into(), json!("[redacted]"));
    }
    state.gateway.identifies.push(recorded);
    if !token_matches(state, data) {
        state.violation(
            "GATEWAY",
            "IDENTIFY",
            4004,
            0,
            "Authentication failed.",
            "wrong token",
        );
        return Next::Close(4004, "Authentication failed.");
    }
    let intents = data.get("intents").and_then(Value::as_u64).unwrap_or(0);
    if intents & GUILD_MEMBERS != 0 && !state.settings.members_intent_enabled {
        state.violation(
            "GATEWAY",
            "IDENTIFY",
            4014,
            0,
            "Disallowed intent(s).",
            "GUILD_MEMBERS is not enabled for the application",
        );
        return Next::Close(4014, "Disallowed intent(s).");
    }
    if intents & (GUILDS | GUILD_MEMBERS) != GUILDS | GUILD_MEMBERS {
        state.violation(
            "GATEWAY",
            "IDENTIFY",
            0,
            0,
            "Missing intents",
            &format!("intents {intents} lack GUILDS | GUILD_MEMBERS: no member events will arrive"),
        );
    }
    let session_id = format!("{:032x}", state.new_id());
    state.gateway.session = Some(Session {
        id: session_id.clone(),
        seq: 0,
        history: Vec::new(),
        connection: Some(tx.clone()),
    });
    let mut ready = json!({
        "v": 10,
        "user": objects::current_user(&state.guild.bot),
        "guilds": [{"id": state.guild.id.to_string(), "unavailable": true}],
        "session_id": session_id,
        "resume_gateway_url": url,
        "application": {
            "id": state.guild.bot.application_id.to_string(),
            "flags": objects::application_flags(state.settings.members_intent_enabled),
        },
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "user_settings": {},
        "_trace": ["fake-discord"],
    });
    if let Some(shard) = data.get("shard") {
        ready["shard"] = shard.clone();
    }
    state.dispatch("READY", ready);
    state.dispatch(
        "GUILD_CREATE",
        objects::guild_create(&state.current_guild()),
    );
    state.gateway.ready_count += 1;
    state.flush_pending();
    Next::Continue
}

/// Resumes the session named in a RESUME; the flag says whether it was resumed.
fn resume(state: &mut State, tx: &mpsc::UnboundedSender<Outbound>, data: &Value) -> (Next, bool) {
    if !token_matches(state, data) {
        state.violation(
            "GATEWAY",
            "RESUME",
            4004,
            0,
            "Authentication failed.",
            "wrong token",
        );
        return (Next::Close(4004, "Authentication failed."), false);
    }
    let session_id = data.get("session_id").and_then(Value::as_str);
    let last_seen = data.get("seq").and_then(Value::as_u64).unwrap_or(0);
    let Some(session) = state
        .gateway
        .session
        .as_mut()
        .filter(|s| Some(s.id.as_str()) == session_id)
    else {
        // Not resumable: the client has to identify again.
        let _ = tx.send(Outbound::Text(json!({"op": 9, "d": false}).to_string()));
        return (Next::Continue, false);
    };
    session.connection = Some(tx.clone());
    for (_, payload) in session.history.iter().filter(|(seq, _)| *seq > last_seen) {
        let _ = tx.send(Outbound::Text(payload.clone()));
    }
    state.dispatch("RESUMED", json!({"_trace": ["fake-discord"]}));
    state.gateway.resumed_count += 1;
    state.flush_pending();
    (Next::Continue, true)
}

#[cfg(test)]
mod tests {
    use serenity::model::event::GatewayEvent;

    use super::*;
    use crate::discord::guild::{FakeGuild, FakeMember};

    fn state() -> State {
        State::new(
            FakeGuild::new(100, "team", 200, "secret")
                .channel(300, "general")
                .member(FakeMember::new(500, "alice")),
        )
    }

    fn sent(rx: &mut mpsc::UnboundedReceiver<Outbound>) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Outbound::Text(text)) = rx.try_recv() {
            out.push(serde_json::from_str(&text).expect("the fake sends JSON"));
        }
        out
    }

    #[test]
    fn identify_gets_ready_and_guild_create_that_serenity_reads() {
        let mut state = state();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut identified = false;
        let identify = json!({"op": 2, "d": {"token": "Bot secret", "intents": 3}});
        let next = on_client_message(
            &mut state,
            &tx,
            "ws://x",
            &identify.to_string(),
            &mut identified,
        );
        assert!(matches!(next, Next::Continue));
        assert!(identified);
        let events = sent(&mut rx);
        assert_eq!(events.len(), 2);
        for (i, event) in events.iter().enumerate() {
            assert_eq!(event["s"], i as u64 + 1);
            if let Err(e) = serde_json::from_value::<GatewayEvent>(event.clone()) {
                panic!("serenity cannot read {}: {e}", event["t"]);
            }
        }
        assert_eq!(events[0]["t"], "READY");
        assert_eq!(events[1]["t"], "GUILD_CREATE");
        assert!(state.violations.is_empty());
    }

    #[test]
    fn a_wrong_token_closes_with_4004_and_a_disallowed_intent_with_4014() {
        let mut state = state();
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut identified = false;
        let wrong = json!({"op": 2, "d": {"token": "Bot nope", "intents": 3}}).to_string();
        let next = on_client_message(&mut state, &tx, "ws://x", &wrong, &mut identified);
        assert!(matches!(next, Next::Close(4004, _)));

        state.settings.members_intent_enabled = false;
        let members = json!({"op": 2, "d": {"token": "secret", "intents": 3}}).to_string();
        let next = on_client_message(&mut state, &tx, "ws://x", &members, &mut identified);
        assert!(matches!(next, Next::Close(4014, _)));
        assert_eq!(state.violations.len(), 2);
    }

    #[test]
    fn resume_replays_what_the_client_missed() {
        let mut state = state();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut identified = false;
        let identify = json!({"op": 2, "d": {"token": "secret", "intents": 3}}).to_string();
        on_client_message(&mut state, &tx, "ws://x", &identify, &mut identified);
        let session_id = sent(&mut rx)[0]["d"]["session_id"].clone();
        state.dispatch(
            "GUILD_MEMBER_REMOVE",
            json!({"guild_id": "100", "user": {"id": "500"}}),
        );
        let _ = sent(&mut rx);

        let (tx2, mut rx2) = mpsc::unbounded_channel();
        let mut identified2 = false;
        let resume = json!({"op": 6, "d": {"token": "secret", "session_id": session_id, "seq": 2}});
        on_client_message(
            &mut state,
            &tx2,
            "ws://x",
            &resume.to_string(),
            &mut identified2,
        );
        let replayed = sent(&mut rx2);
        assert_eq!(replayed[0]["t"], "GUILD_MEMBER_REMOVE");
        assert_eq!(replayed[0]["s"], 3);
        assert_eq!(replayed[1]["t"], "RESUMED");
        assert_eq!(replayed[1]["s"], 4);
    }

    #[test]
    fn heartbeats_are_acknowledged() {
        let mut state = state();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut identified = false;
        on_client_message(
            &mut state,
            &tx,
            "ws://x",
            r#"{"op":1,"d":null}"#,
            &mut identified,
        );
        assert_eq!(sent(&mut rx), vec![json!({"op": 11})]);
    }
}
