//! Finding transitions as messages for the RabbitMQ sink ([`phiflow_pipeline::sink::amqp`]).
//!
//! Each transition becomes one message:
//!
//! - routing key `finding.<severity>.<category>`, e.g. `finding.critical.disclosure_no_baa`, so a
//!   subscriber binds `finding.#` for everything, `finding.critical.*` for one band or
//!   `finding.*.phi_in_logs` for one category;
//! - CloudEvents attributes as `ce_*` headers: `ce_type` is `dev.phiflow.finding.<transition>.v1`
//!   (`opened`, `updated`, `resolved`, `accepted`, `suppressed`, `reopened`), `ce_source` is
//!   `/phiflow/systems/<system>`, `ce_subject` the fingerprint, `ce_time` the transition's time,
//!   and `ce_id` a hash of the fingerprint, transition, model version and time, so the same
//!   transition sent twice has the same id. Headers carry no document content;
//! - body: the transition as the JSON report's `transitions` array has it, plus `finding`, the
//!   finding as last evaluated (for `resolved`, as it was last seen). Excerpts in it are masked
//!   like everywhere else.
//!
//! The severity is the one at the transition: a finding whose score moves from high to critical
//! is `updated` under `finding.critical.…`.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use phiflow_pipeline::sink::{CloudEventAttributes, SinkMessage};

use crate::findings::lifecycle::TransitionKind;
use crate::store::{Store, StoreError, TransitionReport};

/// The body of one message.
#[derive(Debug, Serialize)]
pub struct TransitionEvent<'a> {
    #[serde(flatten)]
    pub transition: &'a TransitionReport,
    pub finding: &'a Value,
}

/// `finding.<severity>.<category>`. Both words are fixed vocabularies; anything that could break
/// the key's shape (a dot, a wildcard, a space) is replaced by `_` all the same.
pub fn routing_key(severity: &str, category: &str) -> String {
    format!("finding.{}.{}", key_word(severity), key_word(category))
}

fn key_word(word: &str) -> String {
    let cleaned: String = word
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        "unknown".to_string()
    } else {
        cleaned
    }
}

/// `dev.phiflow.finding.<transition>.v1`.
pub fn event_type(kind: TransitionKind) -> String {
    format!("dev.phiflow.finding.{kind}.v1")
}

/// The message for one transition, with `finding` as its body's `finding`.
pub fn message(transition: &TransitionReport, finding: &Value) -> SinkMessage {
    let body = TransitionEvent { transition, finding };
    SinkMessage {
        routing_key: routing_key(&transition.severity, &transition.category),
        attributes: CloudEventAttributes {
            id: event_id(transition),
            source: format!("/phiflow/systems/{}", transition.system),
            event_type: event_type(transition.kind),
            time: transition.at.clone(),
            subject: Some(transition.fingerprint.clone()),
        },
        // A struct of strings, numbers and a JSON value always serializes.
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// The messages for a scan's transitions, in order, each with its finding read from `store`.
pub fn messages(
    store: &dyn Store,
    transitions: &[TransitionReport],
) -> Result<Vec<SinkMessage>, StoreError> {
    transitions
        .iter()
        .map(|t| {
            let row = store
                .finding(&t.fingerprint)?
                .ok_or_else(|| StoreError::UnknownFinding { fingerprint: t.fingerprint.clone() })?;
            Ok(message(t, &row.finding))
        })
        .collect()
}

/// 32 hex digits of SHA-256 over what makes a transition unique.
fn event_id(t: &TransitionReport) -> String {
    let mut h = Sha256::new();
    for part in [t.fingerprint.as_str(), t.kind.as_str(), &t.model_version.to_string(), &t.at] {
        h.update(part.as_bytes());
        h.update(b"\x1f");
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ScanRecorder, SqliteStore};
    use crate::Analyzer;
    use phiflow_pipeline::{ArtifactEvent, Config, Source};

    fn scanned(doc: &str) -> (SqliteStore, Vec<TransitionReport>) {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let mut analyzer = Analyzer::new(Config::default());
        let mut recorder = ScanRecorder::new();
        let event = ArtifactEvent::new(Source::Files, "design.md", "default", doc.into());
        recorder.observe(&event);
        analyzer.process(&event);
        let outcome = recorder.commit(&mut store, &analyzer, "2027-03-10T12:00:00Z").unwrap();
        (store, outcome.transitions)
    }

    #[test]
    fn each_transition_becomes_a_routed_cloudevent_with_its_finding() {
        let doc = "We send each patient's name, DOB and lab results to Mixpanel for funnels.";
        let (store, transitions) = scanned(doc);
        assert!(!transitions.is_empty());
        let messages = messages(&store, &transitions).unwrap();

        for (t, m) in transitions.iter().zip(&messages) {
            assert_eq!(m.routing_key, format!("finding.{}.{}", t.severity, t.category));
            assert_eq!(m.attributes.event_type, "dev.phiflow.finding.opened.v1");
            assert_eq!(m.attributes.source, "/phiflow/systems/default");
            assert_eq!(m.attributes.subject.as_deref(), Some(t.fingerprint.as_str()));
            assert_eq!(m.attributes.time, "2027-03-10T12:00:00Z");
            assert_eq!(m.attributes.id.len(), 32);

            let body: Value = serde_json::from_slice(&m.body).unwrap();
            assert_eq!(body["fingerprint"], t.fingerprint.as_str());
            assert_eq!(body["kind"], "opened");
            assert_eq!(body["finding"]["fingerprint"], t.fingerprint.as_str());
            assert_eq!(body["finding"]["category"], t.category.as_str());
        }
        let ids: std::collections::BTreeSet<_> =
            messages.iter().map(|m| &m.attributes.id).collect();
        assert_eq!(ids.len(), messages.len(), "ids are unique");
    }

    #[test]
    fn headers_carry_no_document_content() {
        let doc = "Patient Jane Roe, MRN 00451234, goes to Mixpanel with her lab results.";
        let (store, transitions) = scanned(doc);
        for m in messages(&store, &transitions).unwrap() {
            for (_, value) in m.attributes.headers() {
                assert!(!value.contains("Jane") && !value.contains("00451234"), "{value}");
            }
            assert!(!m.routing_key.contains("Mixpanel"), "{}", m.routing_key);
        }
    }

    #[test]
    fn routing_keys_keep_their_three_words() {
        assert_eq!(routing_key("critical", "phi_in_logs"), "finding.critical.phi_in_logs");
        assert_eq!(routing_key("high", "a.b #*"), "finding.high.a_b___");
        assert_eq!(routing_key("", "x"), "finding.unknown.x");
    }
}
