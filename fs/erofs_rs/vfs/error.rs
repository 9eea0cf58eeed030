// SPDX-License-Identifier: GPL-2.0

//! Error numbers the kernel crate of 6.12 does not name.

// Not every errno is used by every stage of the module.
#![allow(dead_code)]

use kernel::prelude::*;

/// `EOPNOTSUPP` (95): the kernel crate only has the NFS-internal ENOTSUPP.
pub(crate) fn eopnotsupp() -> Error {
    Error::from_errno(-95)
}

/// `EUCLEAN` (117), which filesystems call `EFSCORRUPTED`.
pub(crate) fn efscorrupted() -> Error {
    Error::from_errno(-117)
}

/// `ENODATA` (61): no such xattr.
pub(crate) fn enodata() -> Error {
    Error::from_errno(-61)
}
