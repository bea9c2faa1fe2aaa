//! Mermaid.
use super::Ctx;
use crate::model::Fact;
pub fn extract(_ctx: &Ctx) -> Vec<Fact> { Vec::new() }
