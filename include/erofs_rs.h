/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel headers erofs_rs needs beyond what the kernel crate's own
 * bindings cover. Kbuild runs bindgen over this file with the kernel's
 * bindgen flags; the result is fs/erofs_rs/bindings/bindings_generated.rs.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/statfs.h>

/* C shims for static inline functions and macros (fs/erofs_rs/helpers.c). */
void erofs_rs_errorfc(struct fs_context *fc, const char *msg);
