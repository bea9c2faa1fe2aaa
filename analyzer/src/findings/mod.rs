//! Findings: what a rule reports about an entity or a flow, with a stable fingerprint, a score
//! that shows its factors, the CFR sections it cites and the evidence it rests on.
//! [`lifecycle`] moves findings between states across model versions and decisions.

pub mod lifecycle;

use std::collections::BTreeSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalog::PhiType;
use crate::model::{EntityKind, Evidence};

/// Severity bands over the score: critical ≥ 80, high ≥ 60, medium ≥ 40, low ≥ 20, else info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn from_score(score: u32) -> Severity {
        match score {
            80.. => Severity::Critical,
            60..=79 => Severity::High,
            40..=59 => Severity::Medium,
            20..=39 => Severity::Low,
            _ => Severity::Info,
        }
    }

    /// A severity by name (`info` … `critical`).
    pub fn parse(name: &str) -> Option<Severity> {
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One end of a flow, or the subject of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: String,
    pub kind: EntityKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowRef {
    pub from: Party,
    pub to: Party,
    pub data: Vec<PhiType>,
}

/// Evidence as findings carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    pub artifact: ArtifactRef,
    pub location: Location,
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactRef {
    pub id: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub revision: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: Option<u32>,
}

impl From<&Evidence> for EvidenceRef {
    fn from(e: &Evidence) -> Self {
        EvidenceRef {
            artifact: ArtifactRef {
                id: e.artifact_id.clone(),
                path: e.path.clone(),
                uri: e.uri.clone(),
                revision: e.revision.clone(),
            },
            location: Location { line: e.line },
            excerpt: e.excerpt.clone(),
        }
    }
}

/// One factor of a score, as the explanation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Factor {
    pub name: &'static str,
    pub points: i32,
    pub why: String,
}

/// The chain from evidence to score, for `phiflow explain` and the JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The rule's condition in words.
    pub rule: String,
    /// The facts the finding rests on, in words.
    pub facts: Vec<String>,
    /// How prose mentions were resolved to the entities involved.
    pub resolutions: Vec<String>,
    /// How many statements support the finding; `evidence` lists at most twelve of them.
    pub evidence_total: usize,
    pub score: Vec<Factor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub fingerprint: String,
    pub rule_id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    pub score: u32,
    pub cfr: Vec<String>,
    pub phi: Vec<PhiType>,
    pub system: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Party>,
    pub reason: String,
    pub evidence: Vec<EvidenceRef>,
    pub remediation: String,
    pub explanation: Explanation,
}

/// A fingerprint that stays the same while the rule and the identities it is about do: the
/// first 24 hex digits of SHA-256 over the rule id, the system and the sorted identity keys.
pub fn fingerprint(rule_id: &str, system: &str, identities: &[&str]) -> String {
    let mut ids: Vec<&str> = identities.to_vec();
    ids.sort_unstable();
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update(b"\x1f");
    h.update(system.as_bytes());
    for id in ids {
        h.update(b"\x1f");
        h.update(id.as_bytes());
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// PHI types of a set of elements, sorted.
pub fn phi_types<'a>(elements: impl Iterator<Item = &'a crate::model::PhiElement>) -> Vec<PhiType> {
    elements.map(|e| e.kind).collect::<BTreeSet<_>>().into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_identity_order_and_differ_by_rule() {
        let a = fingerprint("R1", "s", &["x", "y"]);
        assert_eq!(a, fingerprint("R1", "s", &["y", "x"]));
        assert_ne!(a, fingerprint("R2", "s", &["x", "y"]));
        assert_eq!(a.len(), 24);
    }

    #[test]
    fn severity_bands() {
        assert_eq!(Severity::from_score(80), Severity::Critical);
        assert_eq!(Severity::from_score(79), Severity::High);
        assert_eq!(Severity::from_score(19), Severity::Info);
    }
}
