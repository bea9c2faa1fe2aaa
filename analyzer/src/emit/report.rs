//! The scan report document.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::dfd::Diagram;
use crate::analyzer::{Analyzer, Status};
use crate::catalog::PhiType;
use crate::findings::Finding;
use crate::model::{Attr, EntityKind, ModelView};

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub system: String,
    pub organization: String,
    pub model_version: u64,
    pub artifacts: Vec<ArtifactSummary>,
    pub skipped: Vec<SkippedRecord>,
    pub errors: Vec<ErrorRecord>,
    pub model: ModelReport,
    pub findings: Vec<Finding>,
    /// The data-flow diagram of every system's model, for the HTML report; not part of the
    /// JSON document.
    #[serde(skip)]
    pub diagram: Diagram,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArtifactSummary {
    pub id: String,
    pub path: String,
    pub source: phiflow_pipeline::Source,
    pub revision: String,
    pub status: Status,
    pub facts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SkippedRecord {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ErrorRecord {
    pub path: String,
    pub artifact: Option<String>,
    pub error: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelReport {
    pub entities: Vec<EntityReport>,
    pub flows: Vec<FlowReport>,
    pub phi_elements: Vec<PhiElementReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityReport {
    pub id: String,
    pub name: String,
    pub kind: EntityKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub attributes: Vec<String>,
    pub evidence_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlowReport {
    pub id: String,
    pub from: String,
    pub to: String,
    pub data: Vec<PhiType>,
    pub attributes: Vec<String>,
    pub evidence_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhiElementReport {
    #[serde(rename = "type")]
    pub kind: PhiType,
    pub name: String,
    pub entities: Vec<String>,
    pub evidence: Vec<EvidenceLocation>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EvidenceLocation {
    pub path: String,
    pub line: Option<u32>,
}

/// Most evidence locations listed per PHI element.
const MAX_ELEMENT_EVIDENCE: usize = 5;

impl ScanReport {
    /// Build the report of everything the analyzer has seen, plus what the connector skipped
    /// or could not read.
    pub fn build(
        analyzer: &Analyzer,
        mut skipped: Vec<SkippedRecord>,
        mut errors: Vec<ErrorRecord>,
    ) -> ScanReport {
        let mut artifacts = Vec::new();
        for rec in analyzer.artifacts() {
            match rec.status {
                Status::Skipped => skipped.push(SkippedRecord {
                    path: rec.path.clone(),
                    reason: rec.error.clone().unwrap_or_default(),
                }),
                _ => {
                    if rec.status == Status::Error {
                        errors.push(ErrorRecord {
                            path: rec.path.clone(),
                            artifact: Some(rec.id.clone()),
                            error: rec.error.clone().unwrap_or_default(),
                        });
                    }
                    artifacts.push(ArtifactSummary {
                        id: rec.id.clone(),
                        path: rec.path.clone(),
                        source: rec.source,
                        revision: rec.revision.clone(),
                        status: rec.status.clone(),
                        facts: rec.facts,
                        error: rec.error.clone(),
                    });
                }
            }
        }
        skipped.sort();
        errors.sort();
        let systems = analyzer.system_ids();
        let many = systems.len() > 1;
        let mut model = ModelReport::default();
        let mut diagram = Diagram::default();
        let baa_signed = &analyzer.config().organization.baa_signed;
        let mut version = 0;
        for (id, m) in analyzer.systems() {
            version += m.version();
            let view = m.view(analyzer.catalog());
            let prefix = if many { format!("{id}/") } else { String::new() };
            model.extend(&view, &prefix);
            diagram.extend(&view, &prefix, |v| analyzer.catalog().baa_covers(v, baa_signed));
        }
        ScanReport {
            system: if many {
                systems.into_iter().collect::<Vec<_>>().join(",")
            } else {
                systems.into_iter().next().unwrap_or_else(|| "default".into())
            },
            organization: analyzer.config().organization.name.clone(),
            model_version: version,
            artifacts,
            skipped,
            errors,
            model,
            findings: analyzer.findings(),
            diagram,
        }
    }
}

impl ModelReport {
    fn extend(&mut self, view: &ModelView, prefix: &str) {
        let mut elements: BTreeMap<
            (PhiType, String),
            (BTreeSet<String>, BTreeSet<EvidenceLocation>),
        > = BTreeMap::new();
        for e in view.entities.values() {
            let mut count = e.declared.len();
            for (attr, supports) in &e.attrs {
                count += supports.len();
                for s in supports {
                    for d in &s.data {
                        let slot = elements.entry((d.kind, d.name.clone())).or_default();
                        slot.0.insert(format!("{prefix}{}", e.key));
                        slot.1.insert(location(&s.evidence));
                    }
                }
                let _ = attr;
            }
            self.entities.push(EntityReport {
                id: format!("{prefix}{}", e.key),
                name: e.name.clone(),
                kind: e.kind,
                vendor: e.vendor.clone(),
                attributes: e.attrs.keys().map(attr_tag).collect(),
                evidence_count: count,
            });
        }
        for f in view.flows.values() {
            let data: BTreeSet<PhiType> = f.data().iter().map(|d| d.kind).collect();
            for s in &f.supports {
                for d in &s.data {
                    let slot = elements.entry((d.kind, d.name.clone())).or_default();
                    slot.0.insert(format!("{prefix}{}", f.from));
                    slot.0.insert(format!("{prefix}{}", f.to));
                    slot.1.insert(location(&s.evidence));
                }
            }
            let mut attributes = Vec::new();
            if !f.full_record.is_empty() {
                attributes.push("full_record".to_string());
            }
            self.flows.push(FlowReport {
                id: format!("{prefix}{}->{}", f.from, f.to),
                from: format!("{prefix}{}", f.from),
                to: format!("{prefix}{}", f.to),
                data: data.into_iter().collect(),
                attributes,
                evidence_count: f.supports.len(),
            });
        }
        for ((kind, name), (entities, evidence)) in elements {
            self.phi_elements.push(PhiElementReport {
                kind,
                name,
                entities: entities.into_iter().collect(),
                evidence: evidence.into_iter().take(MAX_ELEMENT_EVIDENCE).collect(),
            });
        }
    }
}

fn location(e: &crate::model::Evidence) -> EvidenceLocation {
    EvidenceLocation { path: e.path.clone(), line: e.line }
}

/// An attribute as a short tag for the report.
pub fn attr_tag(attr: &Attr) -> String {
    attr.tag()
}
