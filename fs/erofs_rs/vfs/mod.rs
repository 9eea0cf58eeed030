// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C VFS, in the style of the Rust-for-Linux
//! `kernel` crate. Every `unsafe` block of the module lives in this layer;
//! the filesystem code above it is safe Rust.

pub(crate) mod error;
pub(crate) mod fs_context;
pub(crate) mod registration;

pub(crate) use fs_context::FsContext;
pub(crate) use registration::{FileSystem, Registration};
