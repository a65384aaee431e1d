//! Integrations with external trust systems (API.md §4.8): IATP manifest analysis.

pub mod iatp;
