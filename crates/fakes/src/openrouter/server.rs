//! The fake's HTTP side: one handler that records each request, applies any planned fault and
//! otherwise lets the state answer; and a listener that can close a connection mid-request.

use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

use super::behaviour::{Incoming, Reply};
use super::completions;
use super::{Fault, RecordedRequest, Shared};

/// Where the API lives on the fake's host, as on openrouter.ai.
pub(super) const API_ROOT: &str = "/api/v1";

/// Binds 127.0.0.1:0 and serves the fake until the returned task is aborted.
pub(super) async fn serve(
    shared: Arc<Shared>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    let app = completions::routes(Router::new())
        .fallback(handle)
        .with_state(shared);
    let server = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<Connection>();
        // Serving only ends when the task is aborted; an accept error is retried by the listener.
        let _ = axum::serve(ClosableListener(listener), service).await;
    });
    Ok((address, server))
}

/// A second handle on a connection's socket, so a handler can close it without answering.
#[derive(Clone, Debug)]
pub(super) struct Connection {
    socket: Option<Arc<std::net::TcpStream>>,
}

impl Connection {
    /// Closes the connection both ways; the client sees it end before any answer.
    pub(super) fn close(&self) {
        if let Some(socket) = &self.socket {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// A TCP listener that keeps a [`Connection`] handle for every accepted socket.
struct ClosableListener(TcpListener);

impl Listener for ClosableListener {
    type Io = TcpStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (TcpStream, Connection) {
        loop {
            if let Ok((stream, _)) = self.0.accept().await
                && let Ok(accepted) = with_handle(stream)
            {
                return accepted;
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Connection> {
        Ok(Connection { socket: None })
    }
}

fn with_handle(stream: TcpStream) -> std::io::Result<(TcpStream, Connection)> {
    let stream = stream.into_std()?;
    let handle = stream.try_clone()?;
    let stream = TcpStream::from_std(stream)?;
    Ok((
        stream,
        Connection {
            socket: Some(Arc::new(handle)),
        },
    ))
}

impl Connected<IncomingStream<'_, ClosableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, ClosableListener>) -> Connection {
        stream.remote_addr().clone()
    }
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path()
        .strip_prefix(API_ROOT)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(str::to_string);
    let query = uri.query().map(str::to_string);
    let token = bearer_token(&headers);
    let json_body = if body.is_empty() {
        None
    } else {
        Some(serde_json::from_slice::<Value>(&body).map_err(|e| e.to_string()))
    };

    let (incoming, fault) = {
        let mut state = shared.lock();
        let incoming = Incoming::new(
            &method,
            path.as_deref(),
            query.as_deref(),
            json_body,
            state.caller(token.as_deref()),
        );
        state.requests.push(RecordedRequest {
            endpoint: incoming.endpoint,
            method: method.as_str().to_string(),
            path: path.clone().unwrap_or_else(|| uri.path().to_string()),
            query,
            body: incoming.body.clone(),
            caller: incoming.caller.clone(),
            received_at: std::time::Instant::now(),
        });
        let fault = incoming.endpoint.and_then(|e| state.take_fault(e));
        (incoming, fault)
    };

    match fault {
        None => shared.lock().answer(&incoming).into_response(),
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let mut response = Reply::error(status, fault_message(status)).into_response();
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            response
        }
        Some(Fault::Malformed { status }) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [(CONTENT_TYPE, "text/html")],
            "<html><body>upstream trouble</body></html>",
        )
            .into_response(),
        Some(Fault::Body { status, body }) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [(CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Some(Fault::Delay(delay)) => {
            let reply = shared.lock().answer(&incoming);
            tokio::time::sleep(delay).await;
            reply.into_response()
        }
        Some(Fault::DropConnection { perform }) => {
            if perform {
                shared.lock().answer(&incoming);
            }
            connection.close();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(super) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn fault_message(status: u16) -> &'static str {
    match status {
        400 => "Invalid request parameters",
        401 => "Missing Authentication header",
        402 => "Insufficient credits",
        403 => "Forbidden",
        404 => "Resource not found",
        429 => "Rate limit exceeded",
        502 => "Bad gateway",
        503 => "Service unavailable",
        504 => "Gateway timeout",
        _ => "Internal Server Error",
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.body)).into_response()
    }
}
