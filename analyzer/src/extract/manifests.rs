//! Dependency manifests and environment files.
use super::{Ctx, ExtractError};
use crate::model::Fact;

pub fn package_json(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    Ok(Vec::new())
}
pub fn requirements(_ctx: &Ctx) -> Vec<Fact> {
    Vec::new()
}
pub fn dotenv(_ctx: &Ctx) -> Vec<Fact> {
    Vec::new()
}
