//! The `phiflow` command: runs phiflow's parts in one process.
//!
//! ```text
//! phiflow scan PATH [--config phiflow.toml] [--format table|json|markdown] [--output FILE]
//! phiflow scan PATH --format ocsf|sarif|html [--output FILE]
//! phiflow scan PATH --data-dir DIR
//! phiflow findings list|accept|suppress|reopen ... --data-dir DIR
//! phiflow audit export --data-dir DIR --system S --format json|html
//! phiflow serve --data-dir DIR [--listen 127.0.0.1:8080]
//! ```
//!
//! `scan` reads a folder (a checkout, a Slack export, exported pages) through the files
//! connector, publishes each artifact on the embedded bus, lets the analyzer consume them, and
//! prints the findings. Logs go to stderr (`PHIFLOW_LOG=debug` for more); they carry ids and
//! counts, never document content.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use phiflow_analyzer::analyzer::safe_error;
use phiflow_analyzer::emit::{self, ErrorRecord, ScanReport, SkippedRecord};
use phiflow_analyzer::Analyzer;
use phiflow_connector_files::FilesConnector;
use phiflow_pipeline::sink::amqp::BlockingAmqpSink;
use phiflow_pipeline::{topics, ArtifactEvent, Config, EmbeddedBus};

mod explain;
mod model_cmd;
mod serve;
mod state;

#[derive(Parser)]
#[command(
    name = "phiflow",
    version,
    about = "Find where PHI flows in design documents and check it against HIPAA"
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan a folder of artifacts and report PHI risks.
    Scan(ScanArgs),
    /// Findings kept in a data directory: list them, accept, suppress or reopen one.
    Findings {
        #[command(subcommand)]
        command: state::FindingsCommand,
    },
    /// Show the chain behind one finding: evidence, facts, entities, flow, rule and score.
    Explain(ExplainArgs),
    /// Show the threat model a folder yields.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// The audit trail kept in a data directory.
    Audit {
        #[command(subcommand)]
        command: state::AuditCommand,
    },
    /// Serve the findings and decisions of a data directory over HTTP.
    Serve(serve::ServeArgs),
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Entities, flows and PHI elements, or the data-flow diagram.
    Show {
        /// Folder to read.
        path: PathBuf,
        /// Config file; defaults to PATH/phiflow.toml when that exists.
        #[arg(long)]
        config: Option<PathBuf>,
        /// text, json (the scan report's `model`), mermaid or svg (the data-flow diagram).
        #[arg(long, value_enum, default_value_t = ModelFormat::Text)]
        format: ModelFormat,
    },
    /// What changed in a system's model between two stored versions (needs --data-dir scans).
    Diff {
        /// The older version.
        from: u64,
        /// The newer version.
        to: u64,
        /// The data directory scans kept their state in.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The system (`default` unless the config names systems).
        #[arg(long, default_value = "default")]
        system: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelFormat {
    Text,
    Json,
    Mermaid,
    Svg,
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// The finding's fingerprint, or a unique prefix of it (at least 4 digits).
    fingerprint: String,
    /// The folder the finding came from; it is scanned again.
    path: PathBuf,
    /// Config file; defaults to PATH/phiflow.toml when that exists.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the finding as JSON (it carries the same chain under `explanation`).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Folder (or single file, or Slack export .zip) to scan.
    path: PathBuf,
    /// Config file; defaults to PATH/phiflow.toml when that exists.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit with status 3 when a finding reaches this severity.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Keep finding states, decisions and the audit trail in DIR/phiflow.db across scans, and
    /// report this scan's transitions.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// With --data-dir: also write this scan's finding transitions to FILE as JSON lines, one
    /// CloudEvents record per line in Kafka binary-mode shape (`topic` phiflow.findings.v1,
    /// `key` = fingerprint, `headers` = the `ce_*` attributes, `value` = the event data).
    #[arg(long, value_name = "FILE", requires = "data_dir")]
    events: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Markdown,
    /// A JSON array of OCSF 1.4.0 Compliance Findings, one Create event per finding.
    Ocsf,
    /// A SARIF 2.1.0 log for GitHub code scanning: findings with evidence on a line.
    Sarif,
    /// A self-contained HTML report with the data-flow diagram.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

/// Exit status when `--fail-on` is met.
const EXIT_FINDINGS: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Findings { command } => state::findings(&command),
        Command::Audit { command } => state::audit(&command),
        Command::Explain(args) => explain_cmd(&args),
        Command::Model { command: ModelCommand::Show { path, config, format } } => {
            model_show(&path, config.as_deref(), format)
        }
        Command::Model { command: ModelCommand::Diff { from, to, data_dir, system, json } } => {
            model_cmd::diff(&data_dir, &system, from, to, json)
        }
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("phiflow: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PHIFLOW_LOG")
        // The AMQP client's own logs are off: the sink reports every failure itself.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,lapin=off"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn load_config(args: &ScanArgs) -> Result<(Config, Option<PathBuf>)> {
    let implicit = args.path.join("phiflow.toml");
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None if implicit.is_file() => Some(implicit),
        None => None,
    };
    match path {
        Some(p) => Ok((Config::load(&p)?, Some(p))),
        None => Ok((Config::default(), None)),
    }
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let (config, config_path) = load_config(args)?;
    let mut sink = connect_sink(&config, args)?;
    let mut ledger = args.data_dir.as_deref().map(state::ScanState::open).transpose()?;
    let report = run_scan_with_state(&args.path, config, config_path.as_deref(), ledger.as_mut())?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Table => emit::table::render(&report),
        Format::Markdown => emit::markdown::render(&report),
        Format::Ocsf => {
            let events = emit::ocsf::scan_events(&report.findings, emit::ocsf::Times::now());
            serde_json::to_string_pretty(&events)? + "\n"
        }
        Format::Sarif => serde_json::to_string_pretty(&emit::sarif::log(&report.findings))? + "\n",
        Format::Html => emit::html::render(&report),
    };
    let text = match &ledger {
        Some(ledger) => ledger.decorate(text, transitions_render(args.format))?,
        None => text,
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write report to {}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes()).context("cannot write to stdout")?,
    }
    if let (Some(path), Some(ledger)) = (&args.events, &ledger) {
        let lines = ledger.event_lines()?;
        std::fs::write(path, lines)
            .with_context(|| format!("cannot write events to {}", path.display()))?;
    }
    if let (Some(mut sink), Some(ledger)) = (sink.take(), &ledger) {
        ledger.publish(&mut sink)?;
        sink.close();
    }
    // Findings people accepted or suppressed do not fail a CI gate.
    let decided = match &ledger {
        Some(ledger) => ledger.decided()?,
        None => Default::default(),
    };
    Ok(exit_code(&report, args.fail_on, &decided))
}

/// The RabbitMQ sink of `[sinks.amqp]`, connected before the scan stores anything, so that a
/// broker that is down fails the scan before it records transitions it then could not send.
fn connect_sink(config: &Config, args: &ScanArgs) -> Result<Option<BlockingAmqpSink>> {
    let Some(amqp) = &config.sinks.amqp else { return Ok(None) };
    if args.data_dir.is_none() {
        tracing::warn!(
            "sinks.amqp is configured, but a scan without --data-dir has no transitions"
        );
        return Ok(None);
    }
    let sink = BlockingAmqpSink::connect(amqp).context("cannot start the RabbitMQ sink")?;
    Ok(Some(sink))
}

/// Where `--data-dir` puts this scan's transitions in each format.
fn transitions_render(format: Format) -> state::Render {
    match format {
        Format::Json => state::Render::Json,
        Format::Table => state::Render::Table,
        Format::Markdown => state::Render::Markdown,
        _ => state::Render::Other,
    }
}

/// Connector → embedded bus → analyzer, the same path the services take over Kafka.
fn run_scan(root: &Path, config: Config, config_path: Option<&Path>) -> Result<ScanReport> {
    run_scan_with_state(root, config, config_path, None)
}

/// [`run_scan`], noting each event in `ledger` and recording the scan's outcome there.
fn run_scan_with_state(
    root: &Path,
    config: Config,
    config_path: Option<&Path>,
    mut ledger: Option<&mut state::ScanState>,
) -> Result<ScanReport> {
    let bus = EmbeddedBus::new();
    let artifacts_rx = bus.subscribe(topics::ARTIFACTS);
    let connector = FilesConnector::new(root, config.system_router());
    let own_config = config_path.and_then(|p| p.strip_prefix(root).ok()).map(path_string);

    let mut publish_errors = Vec::new();
    let files = connector
        .scan(&mut |event: ArtifactEvent| {
            if own_config.as_deref() == Some(event.path.as_str()) {
                return;
            }
            if let Err(e) = bus.publish_artifact(&event) {
                publish_errors.push(ErrorRecord {
                    path: event.path.clone(),
                    artifact: Some(event.id.clone()),
                    error: e.to_string(),
                });
            }
        })
        .with_context(|| format!("cannot scan {}", root.display()))?;
    // A single file (a Slack export .zip) that yields nothing but errors is a failed scan, not
    // an empty one: a CI gate must not pass on it.
    if root.is_file() && files.published == 0 {
        if let Some(first) = files.errors.first() {
            anyhow::bail!("cannot read {}: {}", root.display(), safe_error(&first.reason));
        }
    }
    tracing::info!(
        published = files.published,
        skipped = files.skipped.len(),
        errors = files.errors.len(),
        "files connector done"
    );

    let mut analyzer = Analyzer::new(config);
    let mut errors = publish_errors;
    for envelope in artifacts_rx.try_iter() {
        let Some(payload) = envelope.payload else { continue };
        match serde_json::from_slice::<ArtifactEvent>(&payload) {
            Ok(event) => {
                if let Some(ledger) = ledger.as_deref_mut() {
                    ledger.observe(&event);
                }
                analyzer.process(&event);
            }
            Err(e) => errors.push(ErrorRecord {
                path: envelope.key.clone(),
                artifact: Some(envelope.key),
                error: format!("undecodable artifact event: {e}"),
            }),
        }
    }
    let skipped = files
        .skipped
        .into_iter()
        .map(|s| SkippedRecord { path: s.path, reason: s.reason })
        .collect();
    errors.extend(files.errors.into_iter().map(|e| ErrorRecord {
        path: e.path,
        artifact: None,
        error: safe_error(&e.reason),
    }));
    if let Some(ledger) = ledger {
        ledger.commit(&analyzer)?;
    }
    Ok(ScanReport::build(&analyzer, skipped, errors))
}

fn path_string(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn exit_code(
    report: &ScanReport,
    fail_on: Option<FailOn>,
    decided: &std::collections::BTreeSet<String>,
) -> ExitCode {
    use phiflow_analyzer::findings::Severity;
    let Some(threshold) = fail_on else { return ExitCode::SUCCESS };
    let min = match threshold {
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::Critical => Severity::Critical,
    };
    if report.findings.iter().any(|f| f.severity >= min && !decided.contains(&f.fingerprint)) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn model_show(path: &Path, config: Option<&Path>, format: ModelFormat) -> Result<ExitCode> {
    let implicit = path.join("phiflow.toml");
    let config_path =
        config.map(Path::to_path_buf).or_else(|| implicit.is_file().then_some(implicit));
    let loaded = match &config_path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let report = run_scan(path, loaded, config_path.as_deref())?;
    let text = match format {
        ModelFormat::Text => model_cmd::render_text(&report),
        ModelFormat::Json => serde_json::to_string_pretty(&report.model)? + "\n",
        ModelFormat::Mermaid => report.diagram.mermaid(),
        ModelFormat::Svg => report.diagram.svg(),
    };
    std::io::stdout().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn explain_cmd(args: &ExplainArgs) -> Result<ExitCode> {
    let implicit = args.path.join("phiflow.toml");
    let config_path = args.config.clone().or_else(|| implicit.is_file().then_some(implicit));
    let config = match &config_path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let report = run_scan(&args.path, config, config_path.as_deref())?;
    let finding = explain::pick(&report.findings, &args.fingerprint)?;
    let text = if args.json {
        serde_json::to_string_pretty(finding)? + "\n"
    } else {
        explain::render(finding)
    };
    std::io::stdout().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
