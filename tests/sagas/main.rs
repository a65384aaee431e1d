//! Sagas as governed transactions (API.md §4.5): the JSON methods and the native executor
//! loops (`run_step`, `run_compensate`, `run_fan_out`) that the C entry points adapt.

mod common;
mod compensation;
mod execution;
mod methods;
