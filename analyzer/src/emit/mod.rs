//! Output formats: the JSON scan report (the document `phiflow scan --format json` prints, whose
//! schema is `schemas/scan-report.schema.json`), a terminal table, Markdown, OCSF Compliance
//! Findings ([`ocsf`]), a SARIF log for code scanning ([`sarif`]) and a self-contained HTML
//! report ([`html`]) with the data-flow diagram ([`dfd`]).

pub mod amqp;
pub mod dfd;
pub mod html;
pub mod markdown;
pub mod ocsf;
pub mod report;
pub mod sarif;
pub mod table;

#[cfg(test)]
mod fixtures;

pub use report::{ErrorRecord, ScanReport, SkippedRecord};
