//! Source code.
use super::{Ctx, ExtractError};
use crate::model::Fact;
pub fn extract(_ctx: &Ctx) -> Vec<Fact> { Vec::new() }
pub fn notebook(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> { Ok(Vec::new()) }
