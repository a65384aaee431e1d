//! Shared sessions: lifecycle, virtual file system, vector clocks, intent locks.
pub mod lifecycle;
pub mod locks;
pub mod vector_clock;
pub mod vfs;
