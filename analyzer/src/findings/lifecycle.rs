//! The finding lifecycle: how a finding's state moves from one model version to the next, and
//! how a person's decision moves it.
//!
//! A finding is `open`, `resolved`, `accepted` or `suppressed`. Each move is a *transition*:
//!
//! | stored state | now | transition | new state |
//! |---|---|---|---|
//! | (none) | present | `opened` | open |
//! | open | present, same content | none | open |
//! | open | present, content changed | `updated` | open |
//! | open | absent | `resolved` | resolved |
//! | resolved | present | `reopened` | open |
//! | resolved | absent | none | resolved |
//! | accepted, suppressed | present, same content, decision in force | none | unchanged |
//! | accepted, suppressed | present, content changed | `reopened` | open |
//! | accepted, suppressed | present, decision's `until` passed | `reopened` | open |
//! | accepted, suppressed | absent | `resolved` | resolved |
//!
//! A finding's *content* is [`content_hash`]: its score, PHI types, flow or subject, and the set
//! of evidence (artifact and masked excerpt). Revisions and line numbers are left out, so an edit
//! elsewhere in a document that cites the finding moves nothing; a new PHI element on the flow, a
//! new document describing it, or a higher score does. That is what "a change to the flow it
//! concerns reopens it" means for a decision: an accepted finding stays accepted, with no event,
//! through any change that leaves its content alone.
//!
//! A decided finding that disappears is resolved like any other: the risk it accepted is gone, and
//! the decision with it. If the flow comes back it is reopened and needs a new decision.
//!
//! Decisions ([`decide`]): `accept` and `suppress` apply to an open (or already decided)
//! finding, `reopen` to an accepted or suppressed one. Everything here is pure: the store reads
//! the inputs and writes the outputs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Finding, FlowRef, Party};
use crate::catalog::PhiType;

/// Where a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Open,
    Resolved,
    Accepted,
    Suppressed,
}

/// What happened to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionKind {
    Opened,
    Updated,
    Resolved,
    Accepted,
    Suppressed,
    Reopened,
}

/// What a person decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Accept,
    Suppress,
    Reopen,
}

macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = LifecycleError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err(LifecycleError::Unknown { kind: stringify!($ty), value: s.into() }),
                }
            }
        }
    };
}

string_enum!(State {
    Open => "open",
    Resolved => "resolved",
    Accepted => "accepted",
    Suppressed => "suppressed",
});

string_enum!(TransitionKind {
    Opened => "opened",
    Updated => "updated",
    Resolved => "resolved",
    Accepted => "accepted",
    Suppressed => "suppressed",
    Reopened => "reopened",
});

string_enum!(Action {
    Accept => "accept",
    Suppress => "suppress",
    Reopen => "reopen",
});

/// Why a lifecycle input was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    #[error("unknown {kind} {value:?}")]
    Unknown { kind: &'static str, value: String },
    #[error("cannot {action} finding {fingerprint}: it is {state}")]
    NotAllowed { fingerprint: String, state: State, action: Action },
}

/// The decision that holds a finding accepted or suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub action: Action,
    /// Last day (UTC, `YYYY-MM-DD`) the decision holds; `None` holds until the content changes.
    pub until: Option<String>,
    /// The finding's content hash when the decision was made.
    pub content_hash: String,
}

/// A finding as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub fingerprint: String,
    pub state: State,
    pub content_hash: String,
    pub score: u32,
    /// The decision in force, for accepted and suppressed findings.
    pub hold: Option<Hold>,
}

/// A finding the latest evaluation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub fingerprint: String,
    pub content_hash: String,
    pub score: u32,
}

impl From<&Finding> for Observed {
    fn from(f: &Finding) -> Self {
        Observed {
            fingerprint: f.fingerprint.clone(),
            content_hash: content_hash(f),
            score: f.score,
        }
    }
}

/// One transition of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub fingerprint: String,
    pub kind: TransitionKind,
    pub model_version: u64,
    /// RFC 3339 UTC.
    pub at: String,
    /// Why, in words that carry no document content.
    pub detail: String,
}

/// A finding's state after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewState {
    pub state: State,
    pub content_hash: String,
    /// Whether the latest evaluation produced the finding.
    pub present: bool,
}

/// The result of one lifecycle step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// In fingerprint order.
    pub transitions: Vec<Transition>,
    /// Every finding that is present now or moved, by fingerprint.
    pub states: BTreeMap<String, NewState>,
}

/// Move every known finding to the latest evaluation. `now` is an RFC 3339 UTC timestamp; a
/// decision whose `until` day is before `now`'s day has lapsed.
pub fn advance(known: &[Known], observed: &[Observed], model_version: u64, now: &str) -> Step {
    let known: BTreeMap<&str, &Known> = known.iter().map(|k| (k.fingerprint.as_str(), k)).collect();
    let observed: BTreeMap<&str, &Observed> =
        observed.iter().map(|o| (o.fingerprint.as_str(), o)).collect();
    let fingerprints: BTreeSet<&str> = known.keys().chain(observed.keys()).copied().collect();

    let mut step = Step::default();
    for fp in fingerprints {
        let (kind, state, detail) = match (known.get(fp), observed.get(fp)) {
            (None, Some(_)) => (Some(TransitionKind::Opened), State::Open, "first seen".into()),
            (Some(k), Some(o)) => step_present(k, o, now),
            (Some(k), None) => step_absent(k),
            (None, None) => continue,
        };
        let present = observed.contains_key(fp);
        let hash = match (observed.get(fp), known.get(fp)) {
            (Some(o), _) => o.content_hash.clone(),
            (None, Some(k)) => k.content_hash.clone(),
            (None, None) => continue,
        };
        if let Some(kind) = kind {
            step.transitions.push(Transition {
                fingerprint: fp.to_string(),
                kind,
                model_version,
                at: now.to_string(),
                detail,
            });
        } else if !present {
            continue;
        }
        step.states.insert(fp.to_string(), NewState { state, content_hash: hash, present });
    }
    step
}

/// A known finding that the latest evaluation produced again.
fn step_present(k: &Known, o: &Observed, now: &str) -> (Option<TransitionKind>, State, String) {
    let changed = k.content_hash != o.content_hash;
    match k.state {
        State::Open if changed => (Some(TransitionKind::Updated), State::Open, what_changed(k, o)),
        State::Open => (None, State::Open, String::new()),
        State::Resolved => (Some(TransitionKind::Reopened), State::Open, "found again".into()),
        State::Accepted | State::Suppressed => {
            let decided = k.hold.as_ref().map_or(&k.content_hash, |h| &h.content_hash);
            let expired =
                k.hold.as_ref().and_then(|h| h.until.as_deref()).filter(|u| lapsed(u, now));
            if let Some(until) = expired {
                let detail = format!("the {} decision lapsed after {until}", decision_word(k));
                (Some(TransitionKind::Reopened), State::Open, detail)
            } else if *decided != o.content_hash {
                let detail = format!("{} since it was {}", what_changed(k, o), k.state.as_str());
                (Some(TransitionKind::Reopened), State::Open, detail)
            } else {
                (None, k.state, String::new())
            }
        }
    }
}

/// A known finding that the latest evaluation did not produce.
fn step_absent(k: &Known) -> (Option<TransitionKind>, State, String) {
    match k.state {
        State::Resolved => (None, State::Resolved, String::new()),
        State::Open => (Some(TransitionKind::Resolved), State::Resolved, "no longer found".into()),
        State::Accepted | State::Suppressed => {
            let detail = format!("no longer found; the {} decision ends", decision_word(k));
            (Some(TransitionKind::Resolved), State::Resolved, detail)
        }
    }
}

fn decision_word(k: &Known) -> &'static str {
    match k.state {
        State::Suppressed => "suppress",
        _ => "accept",
    }
}

fn what_changed(k: &Known, o: &Observed) -> String {
    if k.score == o.score {
        format!("evidence, data or parties changed (score {})", o.score)
    } else {
        format!("score {} -> {}", k.score, o.score)
    }
}

/// Whether a decision that holds through `until` (`YYYY-MM-DD`) has lapsed at `now` (RFC 3339):
/// both are UTC, and ISO dates order as strings.
pub fn lapsed(until: &str, now: &str) -> bool {
    now.get(..10).is_some_and(|today| today > until)
}

/// The transition and new state a person's decision makes. `accept` and `suppress` apply to
/// open, accepted and suppressed findings (deciding again replaces the decision); `reopen` to
/// accepted and suppressed ones.
pub fn decide(
    known: &Known,
    action: Action,
    model_version: u64,
    now: &str,
    detail: String,
) -> Result<(Transition, NewState), LifecycleError> {
    let (kind, state) = match (action, known.state) {
        (Action::Accept, State::Open | State::Accepted | State::Suppressed) => {
            (TransitionKind::Accepted, State::Accepted)
        }
        (Action::Suppress, State::Open | State::Accepted | State::Suppressed) => {
            (TransitionKind::Suppressed, State::Suppressed)
        }
        (Action::Reopen, State::Accepted | State::Suppressed) => {
            (TransitionKind::Reopened, State::Open)
        }
        (action, state) => {
            return Err(LifecycleError::NotAllowed {
                fingerprint: known.fingerprint.clone(),
                state,
                action,
            })
        }
    };
    let transition = Transition {
        fingerprint: known.fingerprint.clone(),
        kind,
        model_version,
        at: now.to_string(),
        detail,
    };
    let new = NewState { state, content_hash: known.content_hash.clone(), present: true };
    Ok((transition, new))
}

/// What the content hash covers: everything about the risk, nothing about where in a document
/// it was written.
#[derive(Serialize)]
struct Content<'a> {
    score: u32,
    phi: &'a [PhiType],
    flow: Option<&'a FlowRef>,
    subject: Option<&'a Party>,
    evidence: BTreeSet<(&'a str, &'a str)>,
}

/// A hash of the finding's score, PHI types, flow or subject, and evidence set (artifact id and
/// masked excerpt; not revision or line): 32 hex digits of SHA-256.
pub fn content_hash(f: &Finding) -> String {
    let content = Content {
        score: f.score,
        phi: &f.phi,
        flow: f.flow.as_ref(),
        subject: f.subject.as_ref(),
        evidence: f.evidence.iter().map(|e| (e.artifact.id.as_str(), e.excerpt.trim())).collect(),
    };
    let bytes = serde_json::to_vec(&content).unwrap_or_default();
    Sha256::digest(&bytes).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2027-03-10T12:00:00Z";

    fn known(fp: &str, state: State, hash: &str) -> Known {
        Known { fingerprint: fp.into(), state, content_hash: hash.into(), score: 70, hold: None }
    }

    fn held(fp: &str, state: State, hash: &str, until: Option<&str>) -> Known {
        let action = if state == State::Suppressed { Action::Suppress } else { Action::Accept };
        Known {
            hold: Some(Hold {
                action,
                until: until.map(str::to_string),
                content_hash: hash.into(),
            }),
            ..known(fp, state, hash)
        }
    }

    fn seen(fp: &str, hash: &str) -> Observed {
        Observed { fingerprint: fp.into(), content_hash: hash.into(), score: 70 }
    }

    fn kinds(step: &Step) -> Vec<(&str, TransitionKind)> {
        step.transitions.iter().map(|t| (t.fingerprint.as_str(), t.kind)).collect()
    }

    #[test]
    fn a_new_fingerprint_is_opened() {
        let step = advance(&[], &[seen("a", "h1")], 1, NOW);
        assert_eq!(kinds(&step), [("a", TransitionKind::Opened)]);
        assert_eq!(step.states["a"].state, State::Open);
        assert_eq!(step.transitions[0].model_version, 1);
        assert_eq!(step.transitions[0].at, NOW);
    }

    #[test]
    fn an_unchanged_open_finding_makes_no_transition() {
        let step = advance(&[known("a", State::Open, "h1")], &[seen("a", "h1")], 2, NOW);
        assert!(step.transitions.is_empty());
        assert_eq!(
            step.states["a"],
            NewState { state: State::Open, content_hash: "h1".into(), present: true }
        );
    }

    #[test]
    fn a_changed_open_finding_is_updated() {
        let mut now = seen("a", "h2");
        now.score = 84;
        let step = advance(&[known("a", State::Open, "h1")], &[now], 2, NOW);
        assert_eq!(kinds(&step), [("a", TransitionKind::Updated)]);
        assert_eq!(step.transitions[0].detail, "score 70 -> 84");
        assert_eq!(step.states["a"].content_hash, "h2");
    }

    #[test]
    fn an_absent_open_finding_is_resolved() {
        let step = advance(&[known("a", State::Open, "h1")], &[], 3, NOW);
        assert_eq!(kinds(&step), [("a", TransitionKind::Resolved)]);
        assert_eq!(step.states["a"].state, State::Resolved);
        assert!(!step.states["a"].present);
    }

    #[test]
    fn a_resolved_finding_stays_quiet_while_absent_and_reopens_when_back() {
        let gone = advance(&[known("a", State::Resolved, "h1")], &[], 4, NOW);
        assert!(gone.transitions.is_empty());
        assert!(gone.states.is_empty(), "nothing to write");

        let back = advance(&[known("a", State::Resolved, "h1")], &[seen("a", "h1")], 5, NOW);
        assert_eq!(kinds(&back), [("a", TransitionKind::Reopened)]);
        assert_eq!(back.states["a"].state, State::Open);
    }

    #[test]
    fn an_accepted_finding_stays_accepted_through_unrelated_changes() {
        for state in [State::Accepted, State::Suppressed] {
            let k = held("a", state, "h1", Some("2027-06-30"));
            let step = advance(&[k], &[seen("a", "h1"), seen("b", "h9")], 6, NOW);
            assert_eq!(kinds(&step), [("b", TransitionKind::Opened)], "{state}");
            assert_eq!(step.states["a"].state, state);
        }
    }

    #[test]
    fn a_decided_finding_whose_content_changes_is_reopened() {
        for state in [State::Accepted, State::Suppressed] {
            let step = advance(&[held("a", state, "h1", None)], &[seen("a", "h2")], 7, NOW);
            assert_eq!(kinds(&step), [("a", TransitionKind::Reopened)]);
            assert_eq!(step.states["a"].state, State::Open);
            assert_eq!(step.states["a"].content_hash, "h2");
            assert!(step.transitions[0].detail.contains(state.as_str()), "{step:?}");
        }
    }

    #[test]
    fn a_decision_holds_through_its_until_day_and_reopens_after() {
        let k = held("a", State::Accepted, "h1", Some("2027-03-10"));
        let last_day = advance(std::slice::from_ref(&k), &[seen("a", "h1")], 8, NOW);
        assert!(last_day.transitions.is_empty());

        let next_day = advance(&[k], &[seen("a", "h1")], 8, "2027-03-11T00:00:00Z");
        assert_eq!(kinds(&next_day), [("a", TransitionKind::Reopened)]);
        assert!(next_day.transitions[0].detail.contains("lapsed after 2027-03-10"));
        assert_eq!(next_day.states["a"].state, State::Open);
    }

    #[test]
    fn a_decided_finding_that_disappears_is_resolved() {
        let step = advance(&[held("a", State::Suppressed, "h1", None)], &[], 9, NOW);
        assert_eq!(kinds(&step), [("a", TransitionKind::Resolved)]);
        assert_eq!(step.states["a"].state, State::Resolved);
    }

    #[test]
    fn decisions_move_states_and_refuse_what_makes_no_sense() {
        let open = known("a", State::Open, "h1");
        let (t, s) = decide(&open, Action::Accept, 3, NOW, "decision 1".into()).unwrap();
        assert_eq!((t.kind, s.state), (TransitionKind::Accepted, State::Accepted));
        let (t, s) = decide(&open, Action::Suppress, 3, NOW, String::new()).unwrap();
        assert_eq!((t.kind, s.state), (TransitionKind::Suppressed, State::Suppressed));

        let accepted = known("a", State::Accepted, "h1");
        let (t, s) = decide(&accepted, Action::Reopen, 3, NOW, String::new()).unwrap();
        assert_eq!((t.kind, s.state), (TransitionKind::Reopened, State::Open));

        assert!(decide(&open, Action::Reopen, 3, NOW, String::new()).is_err());
        let resolved = known("a", State::Resolved, "h1");
        let err = decide(&resolved, Action::Accept, 3, NOW, String::new()).unwrap_err();
        assert_eq!(err.to_string(), "cannot accept finding a: it is resolved");
    }

    #[test]
    fn content_hash_ignores_where_the_evidence_sits_but_not_what_it_says() {
        use phiflow_pipeline::{ArtifactEvent, Config, Source};
        let mut analyzer = crate::Analyzer::new(Config::default());
        let doc = "We send each patient's name and lab results to Mixpanel.";
        analyzer.process(&ArtifactEvent::new(Source::Files, "d.md", "default", doc.into()));
        let finding = analyzer.findings().remove(0);
        let hash = content_hash(&finding);

        let mut moved = finding.clone();
        moved.evidence[0].artifact.revision = "r2".into();
        moved.evidence[0].location.line = Some(40);
        moved.explanation.facts.clear();
        assert_eq!(content_hash(&moved), hash);

        let mut more_phi = finding.clone();
        more_phi.phi.push(PhiType::Ssn);
        assert_ne!(content_hash(&more_phi), hash);
        let mut other_excerpt = finding;
        other_excerpt.evidence[0].excerpt.push_str(" and DOB");
        assert_ne!(content_hash(&other_excerpt), hash);
    }

    #[test]
    fn names_round_trip() {
        for s in [State::Open, State::Resolved, State::Accepted, State::Suppressed] {
            assert_eq!(s.as_str().parse::<State>().unwrap(), s);
        }
        assert!("closed".parse::<State>().is_err());
        assert_eq!("reopen".parse::<Action>().unwrap(), Action::Reopen);
        assert_eq!("updated".parse::<TransitionKind>().unwrap(), TransitionKind::Updated);
    }
}
