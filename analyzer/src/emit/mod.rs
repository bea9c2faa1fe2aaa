//! Output formats: the JSON scan report (the document `phiflow scan --format json` prints, whose
//! schema is `schemas/scan-report.schema.json`), a terminal table, and Markdown.

pub mod markdown;
pub mod report;
pub mod table;

pub use report::{ErrorRecord, ScanReport, SkippedRecord};
