// SPDX-License-Identifier: GPL-2.0

//! Messages about a mounted image, in the C erofs's style (7.x's
//! `_erofs_printk`): `erofs_rs (device vdb): what is wrong`. Errors and
//! warnings are rate limited (a corrupt image read in a loop must not
//! flood the log); information is not. The filesystem logs through
//! [`SuperBlock::log`](super::SuperBlock) and the `erofs_err!`,
//! `erofs_warn!` and `erofs_info!` macros.

use super::bindings;
use core::fmt::Arguments;

/// How serious a message is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Err,
    Warn,
    Info,
}

/// Prints `args` about the superblock whose `s_id` is `id` (its bytes up
/// to the NUL).
pub(super) fn log(id: &[u8], level: Level, args: Arguments<'_>) {
    // SAFETY: the module's ratelimit state, with its own locking.
    if level != Level::Info && !unsafe { bindings::erofs_rs_ratelimit() } {
        return;
    }
    // "erofs_rs (device ID)" and a NUL: the prefix printk puts before ": ".
    const HEAD: &[u8] = b"erofs_rs (device ";
    let mut prefix = [0u8; HEAD.len() + 32 + 2];
    let id = &id[..id.len().min(32)];
    prefix[..HEAD.len()].copy_from_slice(HEAD);
    prefix[HEAD.len()..HEAD.len() + id.len()].copy_from_slice(id);
    prefix[HEAD.len() + id.len()] = b')';
    let format = match level {
        Level::Err => &kernel::print::format_strings::ERR,
        Level::Warn => &kernel::print::format_strings::WARNING,
        Level::Info => &kernel::print::format_strings::INFO,
    };
    // The prefix's last byte is never written.
    // SAFETY: a kernel format string ("%s: %pA"), a NUL-terminated prefix.
    unsafe { kernel::print::call_printk(format, &prefix, args) };
}

/// `erofs_err!(sb, "fmt", args...)`: an error about superblock `sb`.
macro_rules! erofs_err {
    ($sb:expr, $($arg:tt)*) => {
        $sb.log($crate::vfs::printk::Level::Err, ::core::format_args!($($arg)*))
    };
}
/// `erofs_warn!(sb, ...)`: a warning about superblock `sb`.
macro_rules! erofs_warn {
    ($sb:expr, $($arg:tt)*) => {
        $sb.log($crate::vfs::printk::Level::Warn, ::core::format_args!($($arg)*))
    };
}
/// `erofs_info!(sb, ...)`: information about superblock `sb`.
macro_rules! erofs_info {
    ($sb:expr, $($arg:tt)*) => {
        $sb.log($crate::vfs::printk::Level::Info, ::core::format_args!($($arg)*))
    };
}
pub(crate) use {erofs_err, erofs_info, erofs_warn};

/// Bytes from an image or a user (a path, a name) shown in a message:
/// printable ASCII as is, other bytes as `\xNN`.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl core::fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{:02x}", b)?;
            }
        }
        Ok(())
    }
}
