//! Integrations: capability manifests (IATP) and the host trust provider seam.
pub mod iatp;
