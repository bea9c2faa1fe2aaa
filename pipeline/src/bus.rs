//! The embedded bus: topics as in-process channels, for `phiflow scan` and `phiflow run`.
//!
//! Events travel as [`Envelope`]s shaped like Kafka records in CloudEvents binary mode: a key,
//! `ce_*` headers, and the JSON payload as the value (no value is a tombstone). Keeping the
//! embedded shape equal to the Kafka shape means the same encode and decode code runs in both
//! modes.

use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::event::ArtifactEvent;
use crate::{topics, PipelineError};

/// One record on a topic.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub topic: String,
    pub key: String,
    /// CloudEvents context attributes as `ce_*` headers. Never PHI.
    pub headers: Vec<(String, String)>,
    /// JSON payload; `None` is a tombstone.
    pub payload: Option<Vec<u8>>,
}

impl Envelope {
    /// The value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// In-process publish/subscribe by topic name. Every subscriber of a topic gets every record
/// published after it subscribed, in publish order.
#[derive(Default)]
pub struct EmbeddedBus {
    subscribers: Mutex<HashMap<String, Vec<Sender<Envelope>>>>,
    sequence: Mutex<u64>,
}

impl EmbeddedBus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn subscribe(&self, topic: &str) -> Receiver<Envelope> {
        let (tx, rx) = channel();
        let mut subs = self.subscribers.lock().expect("bus lock poisoned");
        subs.entry(topic.to_string()).or_default().push(tx);
        rx
    }

    /// Publish a record; subscribers that hung up are dropped.
    pub fn publish(&self, envelope: Envelope) {
        let mut subs = self.subscribers.lock().expect("bus lock poisoned");
        if let Some(list) = subs.get_mut(&envelope.topic) {
            list.retain(|tx| tx.send(envelope.clone()).is_ok());
        }
    }

    /// Encode an artifact event in binary mode and publish it on `phiflow.artifacts.v1`.
    pub fn publish_artifact(&self, event: &ArtifactEvent) -> Result<(), PipelineError> {
        let envelope = self.encode(
            topics::ARTIFACTS,
            &event.id,
            "dev.phiflow.artifact.v1",
            event.source.as_str(),
            event,
        )?;
        self.publish(envelope);
        Ok(())
    }

    /// Build a binary-mode CloudEvents envelope for any serializable payload.
    pub fn encode<T: serde::Serialize>(
        &self,
        topic: &str,
        key: &str,
        ce_type: &str,
        ce_source: &str,
        payload: &T,
    ) -> Result<Envelope, PipelineError> {
        let bytes = serde_json::to_vec(payload).map_err(|source| PipelineError::Encode {
            topic: topic.to_string(),
            key: key.to_string(),
            source,
        })?;
        let seq = {
            let mut s = self.sequence.lock().expect("bus lock poisoned");
            *s += 1;
            *s
        };
        Ok(Envelope {
            topic: topic.to_string(),
            key: key.to_string(),
            headers: cloudevent_headers(ce_type, &format!("/phiflow/{ce_source}"), seq),
            payload: Some(bytes),
        })
    }
}

/// `ce_*` headers for one event. The id is unique within the process run.
pub fn cloudevent_headers(ce_type: &str, ce_source: &str, seq: u64) -> Vec<(String, String)> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    vec![
        ("ce_specversion".into(), "1.0".into()),
        ("ce_id".into(), format!("{}-{}-{seq}", now.as_secs(), now.subsec_nanos())),
        ("ce_source".into(), ce_source.into()),
        ("ce_type".into(), ce_type.into()),
        ("ce_time".into(), rfc3339(now.as_secs())),
        ("content-type".into(), "application/json".into()),
    ]
}

/// Seconds since the epoch as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_791_468_432), "2026-10-08T14:07:12Z");
    }

    #[test]
    fn subscribers_receive_in_order_and_tombstones_have_no_payload() {
        let bus = EmbeddedBus::new();
        let rx = bus.subscribe(topics::ARTIFACTS);
        let a = ArtifactEvent::new(crate::Source::Files, "a.md", "s", "x".into());
        let t = ArtifactEvent::tombstone(crate::Source::Files, &a.id, "a.md", "s");
        bus.publish_artifact(&a).unwrap();
        bus.publish_artifact(&t).unwrap();
        let first = rx.try_recv().unwrap();
        assert_eq!(first.header("ce_type"), Some("dev.phiflow.artifact.v1"));
        let second: ArtifactEvent =
            serde_json::from_slice(&rx.try_recv().unwrap().payload.unwrap()).unwrap();
        assert!(second.is_tombstone());
    }
}
