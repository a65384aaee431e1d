//! # agent-hypervisor
//!
//! A governance engine for multi-agent AI sessions, shipped as a C ABI (`cdylib` +
//! `staticlib`) with a cbindgen-generated header (`include/agent_hypervisor.h`).
//!
//! Layers (each ignorant of the one above it):
//! 1. domain modules ([`session`], [`rings`], [`liability`], [`saga`], [`audit`], [`security`],
//!    [`observability`], [`verification`], [`integrations`]): plain synchronous Rust;
//! 2. the engine ([`engine::Hypervisor`]): owns state, wires the modules, reads the clock,
//!    emits events;
//! 3. the boundary: [`api`] (JSON requests/responses and the method table) and `ffi` (the
//!    `extern "C"` functions). Every `unsafe` block lives in `ffi`.
//!
//! The external contract is `API.md`; `docs/` in the repository records decisions where it is
//! silent.
#![deny(missing_docs)]

/// Declares a request type: `deny_unknown_fields` (a misspelt field is an error, not a
/// silent default) plus the optional causal `trace_id` every request may carry.
#[macro_export]
#[doc(hidden)]
macro_rules! request {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            /// Optional causal trace id (`trace/span[/parent]`).
            #[serde(default)]
            pub trace_id: Option<String>,
        }

        impl $crate::api::Traced for $name {
            fn trace_id(&self) -> Option<&str> {
                self.trace_id.as_deref()
            }
        }
    };
}

pub mod api;
pub mod audit;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod ids;
pub mod integrations;
pub mod liability;
pub mod model;
pub mod observability;
pub mod rings;
pub mod saga;
pub mod security;
pub mod session;
pub mod verification;

pub use config::Config;
pub use engine::Hypervisor;
pub use error::{Code, Error, Result, Status};

/// The engine's allocator in optimized builds (feature `mimalloc`, on by default): every
/// request allocates and frees many small objects, and glibc malloc's free path dominated the
/// profiles (docs/PERFORMANCE.md). Debug builds keep the system allocator so that valgrind and
/// the sanitizers see every allocation.
#[cfg(all(feature = "mimalloc", not(debug_assertions)))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
