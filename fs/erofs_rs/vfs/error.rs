// SPDX-License-Identifier: GPL-2.0

//! Error numbers the kernel crate does not name (6.12's names only some).

use super::bindings;
use kernel::prelude::*;

/// `EOPNOTSUPP`: the kernel crate only has the NFS-internal ENOTSUPP.
pub(crate) fn eopnotsupp() -> Error {
    Error::from_errno(-(bindings::EOPNOTSUPP as i32))
}

/// `EUCLEAN`, which filesystems call `EFSCORRUPTED`.
pub(crate) fn efscorrupted() -> Error {
    Error::from_errno(-(bindings::EUCLEAN as i32))
}

/// `ENODATA`: no such xattr.
pub(crate) fn enodata() -> Error {
    Error::from_errno(-(bindings::ENODATA as i32))
}

/// `EBADMSG`: a checksum did not match.
pub(crate) fn ebadmsg() -> Error {
    Error::from_errno(-(bindings::EBADMSG as i32))
}
