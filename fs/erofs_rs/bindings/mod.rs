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

include!("bindings_generated.rs");
