//! Shared-key mode's gateway: an OpenAI-compatible server in `run` that attributes each
//! member's requests on the team's one OpenRouter key, holds them to their budget and limits
//! them to their tier's models.

pub mod body;
pub mod fair_use;
pub mod listener;
pub mod metrics;
pub mod model_cache;
pub mod models;
pub mod refusal;
pub mod relay;
pub mod server;
pub mod upstream;
pub mod usage;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::GatewaySettings;
use crate::team::Team;
use crate::team::shared_key::SharedKey;
use crate::team::shared_key::recovery::BEAT_EVERY;

/// How often the gateway looks for holds to settle (its own leaked ones, stopped gateways').
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How long a clean stop waits for running requests before cutting them (their holds are then
/// settled from OpenRouter by the next start).
const DRAIN_FOR: Duration = Duration::from_secs(10);

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "the gateway needs the team's inference key: set OPENROUTER_API_KEY (a regular OpenRouter API key, not the management key) or gateway.api_key"
    )]
    NoInferenceKey,
    #[error(
        "the gateway needs GATEWAY_TOKEN_SECRET (or gateway.token_secret): a long random value, such as the output of `openssl rand -hex 32`, that gateway tokens are hashed with; keep it, or every token stops working"
    )]
    NoTokenSecret,
    #[error("the gateway cannot listen on {addr} (gateway.listen): {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the gateway's HTTP client could not be set up: {0}")]
    Client(String),
}

/// The gateway, serving.
pub struct RunningGateway {
    addr: SocketAddr,
    shared: SharedKey,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    housekeeping: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

/// Starts the gateway of `team` on `settings.listen`, forwarding to OpenRouter at `base_url`.
pub async fn start(
    settings: &GatewaySettings,
    base_url: &str,
    team: &Team,
) -> Result<RunningGateway, GatewayError> {
    let api_key = settings
        .api_key
        .clone()
        .ok_or(GatewayError::NoInferenceKey)?;
    if settings.token_secret.is_none() {
        return Err(GatewayError::NoTokenSecret);
    }
    let instance = instance_name();
    let (shared, writer) = team
        .shared_key(&instance)
        .map_err(|_| GatewayError::NoTokenSecret)?;
    let upstream = upstream::Upstream::new(
        base_url,
        api_key,
        settings.app_url.clone(),
        settings.app_title.clone(),
    )
    .map_err(|e| GatewayError::Client(e.to_string()))?;
    let models = model_cache::ModelCache::new(upstream.clone());
    if models.refresh(Duration::ZERO).await.is_none() {
        tracing::warn!(
            "OpenRouter's model list could not be read; the gateway answers 502 until it can"
        );
    }
    let state = Arc::new(server::GatewayState {
        shared: shared.clone(),
        upstream,
        models,
        fair_use: fair_use::FairUse::default(),
        metrics: metrics::Metrics::default(),
        max_body_bytes: settings.max_body_bytes,
        default_caps: fair_use::MemberCaps {
            max_in_flight: settings.max_in_flight_per_member,
            requests_per_minute: settings.requests_per_minute_per_member,
        },
    });
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|source| GatewayError::Listen {
            addr: settings.listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(settings.listen);
    if let Err(e) = shared.beat().await {
        tracing::warn!(error = %e, "the gateway's heartbeat could not be recorded");
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let app = server::router(state.clone());
    let server = tokio::spawn(listener::serve(listener, app, stopped.clone(), DRAIN_FOR));
    let housekeeping = tokio::spawn(keep_house(state, stopped));
    tracing::info!(%addr, instance = %instance, "the gateway is listening");
    Ok(RunningGateway {
        addr,
        shared,
        stop,
        server,
        housekeeping,
        writer,
    })
}

impl RunningGateway {
    /// Where the gateway listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shared-key mode's records of this gateway (its ledger among them).
    pub fn shared(&self) -> &SharedKey {
        &self.shared
    }

    /// Stops taking requests, lets running ones finish (for a while), writes the ledger and
    /// gives back unused leases.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        self.housekeeping.abort();
        if let Err(e) = self.shared.stop().await {
            tracing::warn!(error = %e, "the gateway's leases could not be given back; the next start does it");
        }
        drop(self.shared);
        let _ = tokio::time::timeout(DRAIN_FOR, self.writer).await;
    }

    /// Stops at once, as a crash would: nothing is drained, written or given back.
    pub fn abort(self) {
        self.server.abort();
        self.housekeeping.abort();
        self.writer.abort();
    }
}

/// The heartbeat, the sweeper, recovery of stopped gateways' holds and the model list's
/// refresh, until the gateway stops.
async fn keep_house(
    state: Arc<server::GatewayState>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let waits = SharedKey::patient_waits();
    let deadline =
        chrono::TimeDelta::from_std(server::STREAM_DEADLINE).unwrap_or(chrono::TimeDelta::MAX);
    let mut beat = tokio::time::interval(BEAT_EVERY);
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    let mut models = tokio::time::interval(model_cache::REFRESH_EVERY);
    loop {
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    return;
                }
            }
            _ = beat.tick() => {
                if let Err(e) = state.shared.beat().await {
                    tracing::warn!(error = %e, "the gateway's heartbeat could not be recorded");
                }
            }
            _ = sweep.tick() => {
                match state.shared.recover_stopped(&state.upstream, &waits).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(holds = n, "settled the holds of a stopped gateway"),
                    Err(e) => tracing::warn!(error = %e, "stopped gateways' holds could not be settled yet"),
                }
                if let Err(e) = state.shared.sweep(&state.upstream, deadline, &waits).await {
                    tracing::warn!(error = %e, "the gateway's sweep failed; it runs again shortly");
                }
            }
            _ = models.tick() => {
                state.models.refresh(model_cache::REFRESH_EVERY).await;
            }
        }
    }
}

/// A name for this gateway process in the ledger: unique per start.
fn instance_name() -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("gw-{}-{hex}", std::process::id())
}
