//! The commands that use phiflow's state in a data directory (`DIR/phiflow.db`, SQLite):
//!
//! ```text
//! phiflow scan PATH --data-dir DIR            keep finding states across scans; report changes
//! phiflow findings list --data-dir DIR [--state open|resolved|accepted|suppressed]
//! phiflow findings accept|suppress|reopen FINGERPRINT --by WHO --reason WHY
//!                  [--until YYYY-MM-DD] --data-dir DIR
//! phiflow audit export --data-dir DIR --system S [--since YYYY-MM-DD] [--until YYYY-MM-DD]
//!                  --format json|html [--output FILE]
//! ```
//!
//! A data directory follows one scanned folder: a file that disappears between two scans is
//! recorded as deleted, and its findings resolve. Dates are UTC days; `--until` is the last day a
//! decision holds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use phiflow_analyzer::emit;
use phiflow_analyzer::findings::lifecycle::{self, Action, Known, State, Transition};
use phiflow_analyzer::mask::mask;
use phiflow_analyzer::store::sqlite::DB_FILE;
use phiflow_analyzer::store::{
    self, AuditPacket, Day, DecisionRow, FindingFilter, FindingRow, ScanOutcome, ScanRecorder,
    SqliteStore, Store, StoreError, TransitionReport, Window,
};
use phiflow_analyzer::Analyzer;
use phiflow_pipeline::sink::amqp::BlockingAmqpSink;
use phiflow_pipeline::ArtifactEvent;
use serde_json::Value;

/// Take the data directory's scan lock, waiting for a scan that holds it. A scan reads the
/// stored finding states, computes transitions and writes them; two at once would both claim
/// the next model version. The lock is an OS file lock, so a crashed scan leaves none behind.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let path = dir.join("phiflow.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    if file.try_lock().is_err() {
        tracing::info!(data_dir = %dir.display(), "waiting for another scan of this data directory");
        file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
    }
    Ok(file)
}

/// The `--data-dir` part of `phiflow scan`: notes the events, then stores the scan's outcome.
pub struct ScanState {
    /// Held for the whole scan: one scan at a time per data directory.
    _lock: std::fs::File,
    dir: PathBuf,
    store: SqliteStore,
    recorder: ScanRecorder,
    outcome: Option<ScanOutcome>,
}

/// The report format, as far as adding this scan's transitions to it goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// A `transitions` array in the document.
    Json,
    /// A section after the table.
    Table,
    /// A section after the report.
    Markdown,
    /// Formats with a fixed shape of their own are left as they are.
    Other,
}

impl ScanState {
    /// Open (or create) the store in `dir`.
    pub fn open(dir: &Path) -> Result<ScanState> {
        let lock = lock_data_dir(dir)?;
        let store = SqliteStore::open_dir(dir)
            .with_context(|| format!("cannot open phiflow state in {}", dir.display()))?;
        Ok(ScanState {
            _lock: lock,
            dir: dir.to_path_buf(),
            store,
            recorder: ScanRecorder::new(),
            outcome: None,
        })
    }

    /// Note an event the analyzer is given.
    pub fn observe(&mut self, event: &ArtifactEvent) {
        self.recorder.observe(event);
    }

    /// Run the finding lifecycle against the store and record the scan.
    pub fn commit(&mut self, analyzer: &Analyzer) -> Result<()> {
        let outcome = self
            .recorder
            .commit(&mut self.store, analyzer, &store::now())
            .with_context(|| format!("cannot record the scan in {}", self.dir.display()))?;
        self.outcome = Some(outcome);
        Ok(())
    }

    /// Send this scan's transitions to the RabbitMQ sink, each confirmed by the broker; how
    /// many were sent.
    pub fn publish(&self, sink: &mut BlockingAmqpSink) -> Result<usize> {
        let Some(outcome) = &self.outcome else { return Ok(0) };
        let messages = emit::amqp::messages(&self.store, &outcome.transitions)?;
        sink.publish_all(&messages).with_context(|| {
            let dir = self.dir.display();
            format!("finding transitions are recorded in {dir} but were not all published")
        })
    }

    /// Fingerprints of findings people accepted or suppressed (their decision is in force).
    pub fn decided(&self) -> Result<std::collections::BTreeSet<String>> {
        use phiflow_analyzer::findings::lifecycle::State;
        use phiflow_analyzer::store::{FindingFilter, Store};
        let mut out = std::collections::BTreeSet::new();
        for state in [State::Accepted, State::Suppressed] {
            let filter = FindingFilter { system: None, state: Some(state) };
            for row in self.store.findings(&filter)? {
                out.insert(row.fingerprint);
            }
        }
        Ok(out)
    }

    /// This scan's transitions as native finding events: one JSON line per transition, shaped
    /// like a Kafka record in CloudEvents binary mode on `phiflow.findings.v1`.
    pub fn event_lines(&self) -> Result<String> {
        let Some(outcome) = &self.outcome else { return Ok(String::new()) };
        let messages = emit::amqp::messages(&self.store, &outcome.transitions)?;
        let mut out = String::new();
        for m in &messages {
            let a = &m.attributes;
            let value: Value = serde_json::from_slice(&m.body)?;
            let record = serde_json::json!({
                "topic": phiflow_pipeline::topics::FINDINGS,
                "key": a.subject,
                "headers": {
                    "ce_specversion": "1.0",
                    "ce_id": a.id,
                    "ce_source": a.source,
                    "ce_type": a.event_type,
                    "ce_time": a.time,
                    "ce_subject": a.subject,
                    "content-type": "application/json",
                },
                "value": value,
            });
            out.push_str(&serde_json::to_string(&record)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// Add this scan's transitions to a rendered report.
    pub fn decorate(&self, text: String, render: Render) -> Result<String> {
        let Some(outcome) = &self.outcome else { return Ok(text) };
        match render {
            Render::Json => {
                let mut doc: Value =
                    serde_json::from_str(&text).context("cannot read back the JSON report")?;
                if let Some(obj) = doc.as_object_mut() {
                    let systems: Vec<String> = obj
                        .get("system")
                        .and_then(Value::as_str)
                        .map(|s| s.split(',').map(str::to_string).collect())
                        .unwrap_or_default();
                    let version: u64 =
                        systems.iter().filter_map(|s| outcome.model_versions.get(s)).sum();
                    obj.insert("model_version".into(), version.into());
                    obj.insert("transitions".into(), serde_json::to_value(&outcome.transitions)?);
                }
                Ok(serde_json::to_string_pretty(&doc)? + "\n")
            }
            Render::Table => Ok(text + "\n" + &transitions_text(&outcome.transitions)),
            Render::Markdown => Ok(text + "\n" + &transitions_markdown(&outcome.transitions)),
            Render::Other => Ok(text),
        }
    }
}

fn transitions_text(transitions: &[TransitionReport]) -> String {
    if transitions.is_empty() {
        return "No finding changed since the last scan.\n".to_string();
    }
    let rows: Vec<[String; 5]> = transitions
        .iter()
        .map(|t| {
            [
                t.kind.to_string(),
                t.severity.clone(),
                t.category.clone(),
                t.fingerprint.clone(),
                t.detail.clone(),
            ]
        })
        .collect();
    let mut out = format!("Finding transitions in this scan ({}):\n", transitions.len());
    out.push_str(&columns(&["TRANSITION", "SEVERITY", "CATEGORY", "FINGERPRINT", "DETAIL"], &rows));
    out
}

fn transitions_markdown(transitions: &[TransitionReport]) -> String {
    let mut out = String::from("## Finding transitions in this scan\n\n");
    if transitions.is_empty() {
        out.push_str("No finding changed since the last scan.\n");
        return out;
    }
    out.push_str(
        "| Transition | Severity | Category | Fingerprint | Detail |\n|---|---|---|---|---|\n",
    );
    for t in transitions {
        out.push_str(&format!(
            "| {} | {} | {} | `{}` | {} |\n",
            t.kind,
            t.severity,
            t.category,
            t.fingerprint,
            t.detail.replace('|', "\\|")
        ));
    }
    out
}

/// Left-aligned columns separated by two spaces.
fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// `--data-dir DIR`.
#[derive(clap::Args)]
pub struct DataDir {
    /// Data directory of an earlier `phiflow scan --data-dir`.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

impl DataDir {
    /// The store of an existing data directory; a mistyped directory is an error rather than
    /// an empty new store.
    fn open(&self) -> Result<SqliteStore> {
        let db = self.data_dir.join(DB_FILE);
        if !db.is_file() {
            bail!(
                "no phiflow state in {} (run `phiflow scan PATH --data-dir {}` first)",
                self.data_dir.display(),
                self.data_dir.display()
            );
        }
        SqliteStore::open(&db).with_context(|| format!("cannot open {}", db.display()))
    }
}

#[derive(Subcommand)]
pub enum FindingsCommand {
    /// List findings with their states.
    List(ListArgs),
    /// Accept a finding's risk, until its flow or risk changes or `--until` passes.
    Accept(DecideArgs),
    /// Suppress a finding (a false positive), until it changes or `--until` passes.
    Suppress(DecideArgs),
    /// Reopen an accepted or suppressed finding.
    Reopen(DecideArgs),
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Only findings in this state.
    #[arg(long, value_enum)]
    state: Option<StateArg>,
    /// Only findings of this system.
    #[arg(long)]
    system: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum StateArg {
    Open,
    Resolved,
    Accepted,
    Suppressed,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
pub struct DecideArgs {
    /// The finding's fingerprint, as `scan` and `findings list` print it.
    fingerprint: String,
    /// Who decides (a name or a login).
    #[arg(long)]
    by: String,
    /// Why; kept with the decision and shown to auditors. Identifiers are masked.
    #[arg(long)]
    reason: String,
    /// Last day (UTC) the decision holds; the finding reopens the day after.
    #[arg(long, value_name = "YYYY-MM-DD")]
    until: Option<String>,
    #[command(flatten)]
    dir: DataDir,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Write the auditor's packet: audit records, decisions, findings and their history.
    Export(ExportArgs),
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    dir: DataDir,
    /// The system to export.
    #[arg(long)]
    system: String,
    /// First day (UTC) of the window, included.
    #[arg(long, value_name = "YYYY-MM-DD")]
    since: Option<String>,
    /// Last day (UTC) of the window, included.
    #[arg(long, value_name = "YYYY-MM-DD")]
    until: Option<String>,
    /// Packet format.
    #[arg(long, value_enum, default_value_t = PacketFormat::Json)]
    format: PacketFormat,
    /// Write the packet to this file instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum PacketFormat {
    Json,
    Html,
}

/// `phiflow findings …`
pub fn findings(command: &FindingsCommand) -> Result<ExitCode> {
    match command {
        FindingsCommand::List(args) => list(args),
        FindingsCommand::Accept(args) => decide(args, Action::Accept),
        FindingsCommand::Suppress(args) => decide(args, Action::Suppress),
        FindingsCommand::Reopen(args) => decide(args, Action::Reopen),
    }
}

/// `phiflow audit …`
pub fn audit(command: &AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Export(args) => export(args),
    }
}

fn list(args: &ListArgs) -> Result<ExitCode> {
    let store = args.dir.open()?;
    let state = args.state.map(|s| match s {
        StateArg::Open => State::Open,
        StateArg::Resolved => State::Resolved,
        StateArg::Accepted => State::Accepted,
        StateArg::Suppressed => State::Suppressed,
    });
    let filter = FindingFilter { system: args.system.clone(), state };
    let rows = store.findings(&filter)?;
    let text = match args.format {
        ListFormat::Json => {
            let items: Vec<Value> = rows.iter().map(list_item).collect();
            serde_json::to_string_pretty(&items)? + "\n"
        }
        ListFormat::Table if rows.is_empty() => "No findings.\n".to_string(),
        ListFormat::Table => {
            let cells: Vec<[String; 7]> = rows
                .iter()
                .map(|r| {
                    [
                        r.fingerprint.clone(),
                        r.state.to_string(),
                        r.severity.clone(),
                        r.score.to_string(),
                        r.category.clone(),
                        r.system.clone(),
                        about(&r.finding),
                    ]
                })
                .collect();
            let header =
                ["FINGERPRINT", "STATE", "SEVERITY", "SCORE", "CATEGORY", "SYSTEM", "ABOUT"];
            columns(&header, &cells)
        }
    };
    std::io::stdout().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn list_item(r: &FindingRow) -> Value {
    serde_json::json!({
        "fingerprint": r.fingerprint,
        "state": r.state,
        "system": r.system,
        "rule_id": r.rule_id,
        "category": r.category,
        "severity": r.severity,
        "score": r.score,
        "about": about(&r.finding),
        "first_seen_version": r.first_seen_version,
        "last_seen_version": r.last_seen_version,
    })
}

/// A finding's flow (`from -> to`) or subject.
fn about(finding: &Value) -> String {
    let name = |p: &str| finding.pointer(p).and_then(Value::as_str).map(str::to_string);
    match (name("/flow/from/name"), name("/flow/to/name"), name("/subject/name")) {
        (Some(from), Some(to), _) => format!("{from} -> {to}"),
        (_, _, Some(subject)) => subject,
        _ => String::new(),
    }
}

fn decide(args: &DecideArgs, action: Action) -> Result<ExitCode> {
    let input = DecisionInput {
        fingerprint: &args.fingerprint,
        action,
        by: &args.by,
        reason: &args.reason,
        until: args.until.as_deref(),
    };
    let now = store::now();
    input.check(&now)?;
    let mut store = args.dir.open()?;
    let done = match record_decision(&mut store, &input, &now) {
        Err(DecisionError::UnknownFinding(fp)) => {
            bail!("no finding with fingerprint {fp} in {}", args.dir.data_dir.display())
        }
        other => other?,
    };
    println!(
        "{} {}: {} -> {} (decision {})",
        done.fingerprint, done.category, done.from, done.to, done.decision
    );
    Ok(ExitCode::SUCCESS)
}

/// A person's decision about one finding, as `phiflow findings accept|suppress|reopen` and the
/// HTTP API (`phiflow serve`) take it.
pub struct DecisionInput<'a> {
    pub fingerprint: &'a str,
    pub action: Action,
    /// Who decides.
    pub by: &'a str,
    /// Why; masked before it is stored.
    pub reason: &'a str,
    /// Last day (UTC, `YYYY-MM-DD`) the decision holds; accept and suppress only.
    pub until: Option<&'a str>,
}

/// What recording a decision did.
#[derive(Debug, serde::Serialize)]
pub struct Decided {
    pub fingerprint: String,
    pub category: String,
    pub from: State,
    pub to: State,
    /// The decision's id in the store.
    pub decision: i64,
    pub transition: Transition,
}

/// Why a decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("a decision needs a non-empty --by and --reason")]
    Missing,
    #[error("--until applies to accept and suppress only")]
    UntilOnReopen,
    #[error("--until {0} is in the past")]
    PastUntil(String),
    #[error("no finding with fingerprint {0}")]
    UnknownFinding(String),
    /// A bad date, a decision the finding's state refuses, or the store failing.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DecisionInput<'_> {
    /// Check what can be checked without the store; the `until` day.
    pub fn check(&self, now: &str) -> Result<Option<Day>, DecisionError> {
        if self.by.trim().is_empty() || self.reason.trim().is_empty() {
            return Err(DecisionError::Missing);
        }
        let until = match (self.until, self.action) {
            (None, _) => None,
            (Some(_), Action::Reopen) => return Err(DecisionError::UntilOnReopen),
            (Some(d), _) => Some(Day::parse(d)?),
        };
        if until.as_ref().is_some_and(|d| *d < Day::of(now)) {
            return Err(DecisionError::PastUntil(self.until.unwrap_or_default().to_string()));
        }
        Ok(until)
    }
}

/// Record a decision with its transition: the one code path behind the CLI and the HTTP API.
/// `now` is an RFC 3339 UTC timestamp.
pub fn record_decision(
    store: &mut SqliteStore,
    input: &DecisionInput,
    now: &str,
) -> Result<Decided, DecisionError> {
    let until = input.check(now)?;
    let (action, by, reason) = (input.action, input.by.trim(), input.reason.trim());
    let Some(row) = store.finding(input.fingerprint)? else {
        return Err(DecisionError::UnknownFinding(input.fingerprint.to_string()));
    };
    let version = store.model_version(&row.system)?;
    let known = Known {
        fingerprint: row.fingerprint.clone(),
        state: row.state,
        content_hash: row.content_hash.clone(),
        score: row.score,
        hold: None,
    };
    let detail = match &until {
        Some(day) => format!("{action} by {by} until {day}"),
        None => format!("{action} by {by}"),
    };
    let (transition, new) =
        lifecycle::decide(&known, action, version, now, detail).map_err(StoreError::from)?;
    let decision = DecisionRow {
        id: 0,
        fingerprint: row.fingerprint.clone(),
        action,
        by: by.to_string(),
        reason: mask(reason),
        until: until.map(|d| d.to_string()),
        at: now.to_string(),
        content_hash: row.content_hash.clone(),
    };
    let id = store.record_decision(&decision, &transition, row.state, &new)?;
    tracing::info!(fingerprint = %row.fingerprint, decision = id, "decision recorded");
    Ok(Decided {
        fingerprint: row.fingerprint,
        category: row.category,
        from: row.state,
        to: new.state,
        decision: id,
        transition,
    })
}

fn export(args: &ExportArgs) -> Result<ExitCode> {
    let day = |d: &Option<String>| d.as_deref().map(Day::parse).transpose();
    let window = Window { since: day(&args.since)?, until: day(&args.until)? };
    if let (Some(since), Some(until)) = (&window.since, &window.until) {
        if since > until {
            bail!("--since {since} is after --until {until}");
        }
    }
    let store = args.dir.open()?;
    if store.model_version(&args.system)? == 0 {
        bail!("no scan in {} recorded a system {:?}", args.dir.data_dir.display(), args.system);
    }
    let packet = AuditPacket::build(&store, &args.system, &window, &store::now())?;
    let text = match args.format {
        PacketFormat::Json => packet.to_json()?,
        PacketFormat::Html => packet.to_html(),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the packet to {}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes()).context("cannot write to stdout")?,
    }
    tracing::info!(
        audit_records = packet.audit_records.len(),
        decisions = packet.decisions.len(),
        findings = packet.findings.len(),
        "audit packet written"
    );
    Ok(ExitCode::SUCCESS)
}
