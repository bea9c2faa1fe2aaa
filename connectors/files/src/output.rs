//! Where a scan's results go: artifact events to the caller's callback, everything else to the
//! report.

use phiflow_pipeline::config::SystemRouter;
use phiflow_pipeline::ArtifactEvent;
use tracing::debug;

use crate::read::ReadProblem;
use crate::{ScanReport, Skipped};

/// The state one scan threads through the walk and the Slack export reader.
pub(crate) struct Output<'a> {
    router: &'a SystemRouter,
    publish: &'a mut dyn FnMut(ArtifactEvent),
    pub(crate) report: ScanReport,
}

impl<'a> Output<'a> {
    pub(crate) fn new(router: &'a SystemRouter, publish: &'a mut dyn FnMut(ArtifactEvent)) -> Self {
        Output { router, publish, report: ScanReport::default() }
    }

    /// The system id an artifact at `path` belongs to.
    pub(crate) fn system_for(&self, path: &str) -> &'a str {
        self.router.system_for(path)
    }

    pub(crate) fn publish(&mut self, event: ArtifactEvent) {
        debug!(artifact_id = %event.id, system = %event.system, "artifact published");
        self.report.published += 1;
        (self.publish)(event);
    }

    pub(crate) fn skip(&mut self, path: &str, reason: impl Into<String>) {
        debug!(path, "file skipped");
        self.report.skipped.push(Skipped { path: path.to_string(), reason: reason.into() });
    }

    pub(crate) fn error(&mut self, path: &str, reason: impl Into<String>) {
        debug!(path, "file failed");
        self.report.errors.push(Skipped { path: path.to_string(), reason: reason.into() });
    }

    /// Record a file whose bytes were not read: skipped when over the size limit, an error
    /// otherwise.
    pub(crate) fn unread(&mut self, path: &str, problem: ReadProblem) {
        match problem {
            ReadProblem::TooLarge { .. } => self.skip(path, problem.reason()),
            ReadProblem::Io(_) => self.error(path, problem.reason()),
        }
    }
}
