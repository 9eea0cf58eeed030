// SPDX-License-Identifier: GPL-2.0

//! Host build of the EROFS format core (`fs/erofs_rs/format`), the same
//! source the kernel module compiles as `mod format`.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

#[path = "mod.rs"]
mod format;

pub use format::*;
