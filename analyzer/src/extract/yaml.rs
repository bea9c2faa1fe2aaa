//! YAML and JSON formats: docker-compose, Kubernetes manifests, application configs.
use super::{Ctx, ExtractError};
use crate::model::Fact;

pub fn extract_compose(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    Ok(Vec::new())
}
pub fn extract_kubernetes(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    Ok(Vec::new())
}
pub fn extract_config(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    Ok(Vec::new())
}
pub fn extract_json_config(_ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    Ok(Vec::new())
}
