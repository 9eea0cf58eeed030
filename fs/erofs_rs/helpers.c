// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for what bindgen cannot express: static inline functions and
 * macros. Nothing else belongs here; the filesystem itself is Rust.
 */
#include "../../include/erofs_rs.h"

/* errorfc() is a macro around logfc() that also prefixes the fs name. */
void erofs_rs_errorfc(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}
