//! The gateway's accept loop. Every connection is served by a task of one set, so a stop lets
//! running requests finish for a while and then cuts the rest, and an aborted gateway (a
//! crash) leaves no request running behind it.

use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The pause after a failed accept (out of file descriptors, say) before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stop` turns true, then drains for at most `drain_for`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
    drain_for: Duration,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let stopping = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Streamed chunks go out as they come, not when Nagle's algorithm allows.
                    let _ = stream.set_nodelay(true);
                    let service = TowerToHyperService::new(app.clone());
                    let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                    connections.spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "a gateway connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the gateway could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut stopping => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(drain_for, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            running = connections.len(),
            "requests still running when the gateway stopped were cut; the next start settles their holds"
        );
    }
    // Dropping the set aborts whatever is still running.
}
