//! phiflow's analyzer.
pub mod catalog;
pub mod extract;
pub mod mask;
pub mod model;
pub mod text;
