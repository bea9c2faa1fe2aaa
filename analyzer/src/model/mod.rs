//! The threat model of a system: entities, flows and attributes, built from the facts of the
//! current revision of every artifact.

pub mod fact;

pub use fact::{Attr, Claim, EntityKind, EntityRef, Evidence, Fact, PhiElement, Target};
