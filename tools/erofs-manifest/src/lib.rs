//! The guest-side tools' shared code: tree manifests and read-path
//! digests, used by the erofs-manifest and erofs-readcheck binaries and
//! by the in-guest fuzzer.

pub mod corpus;
pub mod handle;
pub mod kcov;
pub mod manifest;
pub mod readcheck;
