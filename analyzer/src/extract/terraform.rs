//! Terraform (HCL).
use super::{Ctx, ExtractError};
use crate::model::Fact;

pub fn extract(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    Ok(Vec::new())
}
