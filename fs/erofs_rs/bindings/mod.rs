// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the kernel headers listed in `include/erofs_rs.h`,
//! generated at build time by the Kbuild bindgen rule. Only the `vfs`
//! layer uses them.

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    missing_docs,
    unreachable_pub,
    improper_ctypes,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    unnecessary_transmutes,
    unknown_lints
)]

// The kernel's bindgen parameters leave these to be defined by hand, as
// the kernel crate does: they map to Rust's own pointer-sized integers.
pub type __kernel_size_t = usize;
pub type __kernel_ssize_t = isize;
pub type __kernel_ptrdiff_t = isize;

// Later kernels' bindgen parameters derive pin_init's MaybeZeroable for
// every struct (Kbuild sets the cfg when they do).
#[cfg(erofs_rs_maybe_zeroable)]
#[allow(unused_imports)]
use pin_init::{MaybeZeroable, Zeroable};

include!("bindings_generated.rs");

// Macros bindgen cannot evaluate (they expand to BIT() or casts).
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
pub const SB_RDONLY: u32 = 1 << 0;
pub const SB_NOATIME: u32 = 1 << 10;
pub const SB_POSIXACL: u32 = 1 << 16;
pub const MAX_LFS_FILESIZE: i64 = i64::MAX;
