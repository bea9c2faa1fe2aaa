//! `phiflow serve --data-dir DIR [--listen 127.0.0.1:8080]`: an HTTP API over the findings and
//! decisions kept in a data directory, for tools that would rather not run the CLI.
//!
//! | request | answer |
//! |---|---|
//! | `GET /healthz` | 200 `ok` while the process runs |
//! | `GET /readyz` | 200 `ready` when the store opens; 503 before the first scan |
//! | `GET /findings[?state=open][&system=S]` | what `phiflow findings list --format json` prints |
//! | `GET /findings/{fingerprint}` | the finding as stored, its transitions and decisions |
//! | `POST /findings/{fingerprint}/accept` | records a decision, as `phiflow findings accept` |
//! | `POST /findings/{fingerprint}/suppress` | … as `phiflow findings suppress` |
//! | `POST /findings/{fingerprint}/reopen` | … as `phiflow findings reopen` |
//!
//! A decision takes the JSON body `{"by": "WHO", "reason": "WHY", "until": "YYYY-MM-DD"}` (no
//! `until` for reopen) and goes through [`crate::state::record_decision`], the function behind
//! the CLI, so both record exactly the same rows. Every error is JSON, `{"error": "…"}`, with
//! the status [`ApiError`] gives it: 400 for a malformed request, 404 for an unknown
//! fingerprint, 409 for a decision the finding's state refuses, 422 for a missing `by` or
//! `reason` or a bad date, 503 while there is no store.
//!
//! Each request opens the store on a blocking thread. SQLite in WAL mode lets the API read while
//! a scan writes, so the server can run beside `phiflow scan` on the same data directory.
//!
//! The API has no authentication of its own and listens on loopback by default. Put it behind a
//! proxy that authenticates before listening anywhere else: `by` is whatever the caller says.
//! SIGTERM or Ctrl-C stops it after the requests in flight are answered.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use phiflow_analyzer::findings::lifecycle::{Action, State as FindingState};
use phiflow_analyzer::store::sqlite::DB_FILE;
use phiflow_analyzer::store::{self, FindingFilter, SqliteStore, Store, StoreError, Window};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{self, DecisionError, DecisionInput};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Data directory of an earlier `phiflow scan --data-dir`.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Address and port to listen on; port 0 takes a free one. The address is printed on stderr.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

/// `phiflow serve`.
pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the HTTP server's runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &ServeArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("cannot read the listening address")?;
    eprintln!(
        "phiflow serve: listening on http://{addr}, data directory {}",
        args.data_dir.display()
    );
    tracing::info!(%addr, "http api listening");

    axum::serve(listener, router(Api::new(args.data_dir.clone())))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("http api stopped");
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}

/// What the handlers share: where the store is.
#[derive(Clone)]
pub struct Api {
    data_dir: PathBuf,
}

impl Api {
    pub fn new(data_dir: PathBuf) -> Api {
        Api { data_dir }
    }

    /// The store of the data directory. A missing database is "not ready", not a new store: the
    /// API never creates state, scans do.
    fn open(&self) -> Result<SqliteStore, ApiError> {
        let db = self.data_dir.join(DB_FILE);
        if !db.is_file() {
            return Err(ApiError::Unavailable(
                "no phiflow state in the data directory yet: run `phiflow scan PATH --data-dir \
                 DIR` first"
                    .into(),
            ));
        }
        SqliteStore::open(&db).map_err(|e| ApiError::Unavailable(format!("cannot open store: {e}")))
    }

    /// Run `work` against a freshly opened store on a blocking thread.
    async fn with_store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteStore) -> Result<T, ApiError> + Send + 'static,
    {
        let api = self.clone();
        tokio::task::spawn_blocking(move || work(&mut api.open()?))
            .await
            .map_err(|e| ApiError::Internal(format!("request task failed: {e}")))?
    }
}

/// The routes, ready for `axum::serve` or, in tests, `oneshot`.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/findings", get(list_findings))
        .route("/findings/{fingerprint}", get(show_finding))
        .route("/findings/{fingerprint}/{action}", post(decide))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .with_state(Arc::new(api))
}

type Shared = State<Arc<Api>>;

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(api): Shared) -> Result<&'static str, ApiError> {
    api.with_store(|_| Ok(())).await?;
    Ok("ready")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    system: Option<String>,
}

async fn list_findings(
    State(api): Shared,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let Query(query) = query?;
    let state = match query.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<FindingState>().map_err(|_| {
            ApiError::BadRequest(format!(
                "unknown state {s:?}: expected open, resolved, accepted or suppressed"
            ))
        })?),
    };
    let filter = FindingFilter { system: query.system, state };
    let rows = api.with_store(move |store| Ok(store.findings(&filter)?)).await?;
    Ok(Json(rows.iter().map(state::list_item).collect()))
}

async fn show_finding(
    State(api): Shared,
    Path(fingerprint): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let detail = api
        .with_store(move |store| {
            let Some(row) = store.finding(&fingerprint)? else {
                return Err(unknown_finding(&fingerprint));
            };
            let transitions = store.transitions(&fingerprint)?;
            let decisions: Vec<_> = store
                .decisions(&row.system, &Window::default())?
                .into_iter()
                .filter(|d| d.fingerprint == fingerprint)
                .collect();
            Ok(json!({"finding": row, "transitions": transitions, "decisions": decisions}))
        })
        .await?;
    Ok(Json(detail))
}

/// The body of a decision. Fields are optional here so that a missing one gets a clear 422
/// rather than a deserializer's message.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    by: Option<String>,
    reason: Option<String>,
    until: Option<String>,
}

async fn decide(
    State(api): Shared,
    Path((fingerprint, action)): Path<(String, String)>,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<state::Decided>, ApiError> {
    let action = match action.as_str() {
        "accept" => Action::Accept,
        "suppress" => Action::Suppress,
        "reopen" => Action::Reopen,
        _ => {
            return Err(ApiError::NotFound(format!(
                "no action {action:?}: use accept, suppress or reopen"
            )))
        }
    };
    let Json(body) = body?;
    let (Some(by), Some(reason)) = (body.by, body.reason) else {
        return Err(ApiError::Unprocessable(
            "a decision needs \"by\" (who decides) and \"reason\" (why)".into(),
        ));
    };
    let decided = api
        .with_store(move |store| {
            let input = DecisionInput {
                fingerprint: &fingerprint,
                action,
                by: &by,
                reason: &reason,
                until: body.until.as_deref(),
            };
            Ok(state::record_decision(store, &input, &store::now())?)
        })
        .await?;
    Ok(Json(decided))
}

fn unknown_finding(fingerprint: &str) -> ApiError {
    ApiError::NotFound(format!("no finding with fingerprint {fingerprint}"))
}

/// Every way a request fails, and (in [`IntoResponse`]) the one place that gives each a status.
#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed: bad JSON, an unknown query parameter or state.
    BadRequest(String),
    /// A rejection axum made while reading the request, with its own status (415, 413, …).
    Rejected(StatusCode, String),
    NotFound(String),
    /// The finding's state refuses the decision, or changed while it was being recorded.
    Conflict(String),
    /// The request is well-formed but its values are not usable: a missing `by`, a bad date.
    Unprocessable(String),
    /// No store to answer from.
    Unavailable(String),
    /// A failure that is not the caller's; the detail is logged, not sent.
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Rejected(status, m) => (status, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "http api request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log".into())
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownFinding { fingerprint } => unknown_finding(&fingerprint),
            StoreError::Date { .. } => ApiError::Unprocessable(e.to_string()),
            StoreError::Lifecycle(_) | StoreError::Conflict { .. } => {
                ApiError::Conflict(e.to_string())
            }
            e => ApiError::Internal(e.to_string()),
        }
    }
}

/// The CLI words its messages after its flags; here they are named after the body's fields.
impl From<DecisionError> for ApiError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::Missing => {
                ApiError::Unprocessable("a decision needs a non-empty \"by\" and \"reason\"".into())
            }
            DecisionError::UntilOnReopen => {
                ApiError::Unprocessable("\"until\" applies to accept and suppress only".into())
            }
            DecisionError::PastUntil(day) => {
                ApiError::Unprocessable(format!("\"until\" {day} is in the past"))
            }
            DecisionError::UnknownFinding(fingerprint) => unknown_finding(&fingerprint),
            DecisionError::Store(e) => e.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::Rejected(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use phiflow_analyzer::Analyzer;
    use phiflow_pipeline::{ArtifactEvent, Config, Source};
    use tower::ServiceExt;

    const DOC: &str = "We send each patient's name, DOB and lab results to Mixpanel for funnels.";

    /// A data directory after one scan of a document with a disclosure.
    fn scanned() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = state::ScanState::open(dir.path()).unwrap();
        let mut analyzer = Analyzer::new(Config::default());
        let event = ArtifactEvent::new(Source::Files, "design.md", "default", DOC.into());
        ledger.observe(&event);
        analyzer.process(&event);
        ledger.commit(&analyzer).unwrap();
        dir
    }

    async fn call(
        dir: &std::path::Path,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let app = router(Api::new(dir.to_path_buf()));
        let request = Request::builder().method(method).uri(uri);
        let request = match body {
            Some(b) => {
                request.header("content-type", "application/json").body(Body::from(b.to_string()))
            }
            None => request.body(Body::empty()),
        };
        let response = app.oneshot(request.unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    async fn first_fingerprint(dir: &std::path::Path) -> String {
        let (_, list) = call(dir, "GET", "/findings", None).await;
        list[0]["fingerprint"].as_str().expect("a finding").to_string()
    }

    #[tokio::test]
    async fn health_is_unconditional_and_readiness_needs_a_store() {
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            call(empty.path(), "GET", "/healthz", None).await,
            (StatusCode::OK, "ok".into())
        );
        let (status, body) = call(empty.path(), "GET", "/readyz", None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body["error"].as_str().unwrap().contains("phiflow scan"), "{body}");
        assert!(!empty.path().join(DB_FILE).exists(), "the API creates no store");

        let dir = scanned();
        assert_eq!(
            call(dir.path(), "GET", "/readyz", None).await,
            (StatusCode::OK, "ready".into())
        );
    }

    #[tokio::test]
    async fn findings_are_listed_filtered_and_shown_with_their_history() {
        let dir = scanned();
        let (status, all) = call(dir.path(), "GET", "/findings", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(all.as_array().unwrap().iter().any(|f| f["category"] == "disclosure_no_baa"));
        assert!(all[0]["about"].as_str().unwrap().contains("Mixpanel"), "{all}");
        let (_, open) = call(dir.path(), "GET", "/findings?state=open", None).await;
        assert_eq!(open, all);
        let (_, accepted) = call(dir.path(), "GET", "/findings?state=accepted", None).await;
        assert_eq!(accepted, json!([]));

        let fp = first_fingerprint(dir.path()).await;
        let (status, one) = call(dir.path(), "GET", &format!("/findings/{fp}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["finding"]["fingerprint"], fp.as_str());
        assert_eq!(one["finding"]["finding"]["fingerprint"], fp.as_str());
        assert_eq!(one["transitions"][0]["kind"], "opened");
        assert_eq!(one["decisions"], json!([]));
    }

    #[tokio::test]
    async fn bad_queries_and_unknown_fingerprints_get_json_errors() {
        let dir = scanned();
        let (status, body) = call(dir.path(), "GET", "/findings?state=closed", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().contains("unknown state"), "{body}");
        let (status, _) = call(dir.path(), "GET", "/findings?colour=red", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = call(dir.path(), "GET", "/findings/0000", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "no finding with fingerprint 0000");
        let (status, body) = call(dir.path(), "GET", "/nowhere", None).await;
        assert_eq!((status, body["error"].is_string()), (StatusCode::NOT_FOUND, true));
    }

    #[tokio::test]
    async fn accepting_records_the_decision_the_cli_would() {
        let dir = scanned();
        let fp = first_fingerprint(dir.path()).await;
        let body = json!({"by": "dana", "reason": "BAA in negotiation", "until": "2999-12-31"});
        let uri = format!("/findings/{fp}/accept");
        let (status, decided) = call(dir.path(), "POST", &uri, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{decided}");
        assert_eq!(
            (decided["from"].as_str(), decided["to"].as_str()),
            (Some("open"), Some("accepted"))
        );
        assert_eq!(decided["transition"]["kind"], "accepted");

        let (_, one) = call(dir.path(), "GET", &format!("/findings/{fp}"), None).await;
        assert_eq!(one["finding"]["state"], "accepted");
        let decision = &one["decisions"][0];
        assert_eq!(
            (decision["by"].as_str(), decision["until"].as_str()),
            (Some("dana"), Some("2999-12-31"))
        );
        assert_eq!(decision["reason"], "BAA in negotiation");
        assert_eq!(one["transitions"][1]["detail"], "accept by dana until 2999-12-31");

        let reopen = json!({"by": "dana", "reason": "BAA fell through"});
        let (status, _) =
            call(dir.path(), "POST", &format!("/findings/{fp}/reopen"), Some(reopen)).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn unusable_decisions_are_refused_with_the_reason() {
        let dir = scanned();
        let fp = first_fingerprint(dir.path()).await;
        let accept = format!("/findings/{fp}/accept");
        let cases = [
            (json!({"reason": "r"}), StatusCode::UNPROCESSABLE_ENTITY, "\"by\""),
            (json!({"by": " ", "reason": "r"}), StatusCode::UNPROCESSABLE_ENTITY, "non-empty"),
            (
                json!({"by": "d", "reason": "r", "until": "2027-02-30"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid date",
            ),
            (
                json!({"by": "d", "reason": "r", "until": "2001-01-01"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "in the past",
            ),
            (
                json!({"by": "d", "reason": "r", "who": "x"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "who",
            ),
        ];
        for (body, want, says) in cases {
            let (status, got) = call(dir.path(), "POST", &accept, Some(body.clone())).await;
            assert_eq!(status, want, "{body} -> {got}");
            assert!(got["error"].as_str().unwrap().contains(says), "{body} -> {got}");
        }

        let reopen = format!("/findings/{fp}/reopen");
        let (status, got) =
            call(dir.path(), "POST", &reopen, Some(json!({"by": "d", "reason": "r"}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "reopening an open finding: {got}");
        assert!(got["error"].as_str().unwrap().contains("it is open"), "{got}");
        let unknown = json!({"by": "d", "reason": "r"});
        let (status, _) =
            call(dir.path(), "POST", "/findings/0000/accept", Some(unknown.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) =
            call(dir.path(), "POST", &format!("/findings/{fp}/approve"), Some(unknown)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let app = router(Api::new(dir.path().to_path_buf()));
        let request = Request::post(&accept).header("content-type", "application/json");
        let response = app.oneshot(request.body(Body::from("{not json")).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let (_, still) = call(dir.path(), "GET", &format!("/findings/{fp}"), None).await;
        assert_eq!(still["finding"]["state"], "open");
        assert_eq!(still["decisions"], json!([]), "nothing was recorded");
    }
}
