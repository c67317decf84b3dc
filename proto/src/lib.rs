//! gRPC contracts of crossbind, generated from `proto/crossbind/v1/*.proto`.
//!
//! The generated code is committed under `src/gen/` so that building needs no `protoc`.
//! The test `tests/codegen.rs` regenerates it with `protox` and fails when the committed
//! copy differs; run it with `CROSSBIND_REGENERATE=1` to rewrite the files after editing a
//! `.proto` file.

/// Version 1 of the crossbind API (`package crossbind.v1`).
pub mod v1 {
    #![allow(
        missing_docs,
        unreachable_pub,
        missing_debug_implementations,
        clippy::all
    )]
    include!("gen/crossbind.v1.rs");
}

pub use v1::*;

// === impl Environment ===

impl Environment {
    /// The DataWorks spelling used in `ConnectionProperties.envType` and `EnvType` parameters.
    pub fn dataworks_name(self) -> &'static str {
        match self {
            Environment::Dev => "Dev",
            Environment::Prod => "Prod",
            Environment::Unspecified => "",
        }
    }

    /// The short lower-case name used in step names (`register.dev`).
    pub fn short_name(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Prod => "prod",
            Environment::Unspecified => "unspecified",
        }
    }
}
