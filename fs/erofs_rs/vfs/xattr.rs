// SPDX-License-Identifier: GPL-2.0

//! Extended attributes and POSIX ACLs as the VFS asks for them: xattr
//! handlers (user., trusted., security.), listxattr and get_inode_acl.

use super::{FileSystem, Inode};
use crate::bindings;
use core::ffi::{c_char, c_int};
use kernel::prelude::*;

/// On-disk name indexes of the short prefixes (EROFS_XATTR_INDEX_*).
pub(crate) const INDEX_USER: u8 = 1;
pub(crate) const INDEX_POSIX_ACL_ACCESS: u8 = 2;
pub(crate) const INDEX_POSIX_ACL_DEFAULT: u8 = 3;
pub(crate) const INDEX_TRUSTED: u8 = 4;
pub(crate) const INDEX_SECURITY: u8 = 6;

/// Whether names of `index` may be listed to the caller, as
/// xattr_handler_can_list() decides for the C driver's handlers: user.
/// per mount option, trusted. for CAP_SYS_ADMIN, security. and the ACL
/// names always; other indexes have no handler and are hidden.
pub(crate) fn can_list(index: u8, user_xattr: bool) -> bool {
    match index {
        INDEX_USER => user_xattr,
        // SAFETY: checks the current task's capability.
        INDEX_TRUSTED => unsafe { bindings::erofs_rs_capable_sys_admin() },
        INDEX_SECURITY | INDEX_POSIX_ACL_ACCESS | INDEX_POSIX_ACL_DEFAULT => true,
        _ => false,
    }
}

/// Where `listxattr` writes names (or, without a buffer, only counts).
pub(crate) struct NameSink<'a> {
    buf: Option<&'a mut [u8]>,
    len: usize,
}

impl NameSink<'_> {
    /// Appends `parts` concatenated and a NUL; ERANGE when it does not fit.
    pub(crate) fn push(&mut self, parts: &[&[u8]]) -> Result {
        let n: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
        if let Some(buf) = self.buf.as_deref_mut() {
            let dst = buf.get_mut(self.len..self.len + n).ok_or(ERANGE)?;
            let mut at = 0;
            for p in parts {
                dst[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            dst[at] = 0;
        }
        self.len += n;
        Ok(())
    }
}

pub(crate) unsafe extern "C" fn xattr_get<T: FileSystem>(
    handler: *const bindings::xattr_handler,
    _dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    buffer: *mut core::ffi::c_void,
    size: usize,
) -> c_int {
    // SAFETY: the VFS passes our handler, a live inode of `T` and a C
    // string name; `buffer` is NULL or writable for `size` bytes.
    let (index, inode, name, buf) = unsafe {
        let buf = if buffer.is_null() { None } else { Some(core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)) };
        ((*handler).flags as u8, Inode::<T>::from_raw(inode), CStr::from_char_ptr(name.cast()).as_bytes(), buf)
    };
    match T::xattr_get(inode, index, name, buf) {
        Ok(n) => n as c_int,
        Err(e) => e.to_errno(),
    }
}

pub(crate) unsafe extern "C" fn listxattr<T: FileSystem>(dentry: *mut bindings::dentry, buffer: *mut c_char, size: usize) -> isize {
    // SAFETY: a live dentry with a positive inode of ours; `buffer` is
    // NULL (size query) or writable for `size` bytes.
    let (inode, buf) = unsafe {
        let buf = if buffer.is_null() { None } else { Some(core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)) };
        (Inode::<T>::from_raw(bindings::erofs_rs_d_inode(dentry)), buf)
    };
    let mut sink = NameSink { buf, len: 0 };
    match T::xattr_list(inode, &mut sink) {
        Ok(()) => sink.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

pub(crate) unsafe extern "C" fn get_inode_acl<T: FileSystem>(
    inode: *mut bindings::inode,
    acl_type: c_int,
    rcu: bool,
) -> *mut bindings::posix_acl {
    if rcu {
        // SAFETY: encodes an errno: ask the VFS to retry outside RCU.
        return unsafe { bindings::erofs_rs_err_ptr(ECHILD.to_errno() as _) }.cast();
    }
    let index = match acl_type as u32 {
        0x8000 => INDEX_POSIX_ACL_ACCESS,  // ACL_TYPE_ACCESS
        0x4000 => INDEX_POSIX_ACL_DEFAULT, // ACL_TYPE_DEFAULT
        // SAFETY: encodes an errno.
        _ => return unsafe { bindings::erofs_rs_err_ptr(EINVAL.to_errno() as _) }.cast(),
    };
    // SAFETY: a live inode of ours.
    let inode = unsafe { Inode::<T>::from_raw(inode) };
    let size = match T::xattr_get(inode, index, b"", None) {
        Ok(n) => n,
        Err(e) if e == super::error::enodata() => return core::ptr::null_mut(),
        // SAFETY: encodes an errno.
        Err(e) => return unsafe { bindings::erofs_rs_err_ptr(e.to_errno() as _) }.cast(),
    };
    let mut value = match KVec::from_elem(0u8, size, GFP_KERNEL) {
        Ok(v) => v,
        // SAFETY: encodes an errno.
        Err(_) => return unsafe { bindings::erofs_rs_err_ptr(ENOMEM.to_errno() as _) }.cast(),
    };
    match T::xattr_get(inode, index, b"", Some(&mut value)) {
        Ok(n) => {
            // SAFETY: `value` holds `n` bytes of an ACL xattr value; the
            // function validates it and returns an ACL or error pointer.
            unsafe { bindings::erofs_rs_posix_acl_from_xattr(value.as_ptr().cast(), n) }
        }
        Err(e) if e == super::error::enodata() => core::ptr::null_mut(),
        // SAFETY: encodes an errno.
        Err(e) => unsafe { bindings::erofs_rs_err_ptr(e.to_errno() as _) }.cast(),
    }
}

/// The xattr handler tables of `T`.
pub(crate) struct Handlers<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> Handlers<T> {
    const USER: bindings::xattr_handler = Self::handler(b"user.\0", INDEX_USER);
    const TRUSTED: bindings::xattr_handler = Self::handler(b"trusted.\0", INDEX_TRUSTED);
    const SECURITY: bindings::xattr_handler = Self::handler(b"security.\0", INDEX_SECURITY);
    pub(crate) const ALL: [*const bindings::xattr_handler; 4] = [&Self::USER, &Self::TRUSTED, &Self::SECURITY, core::ptr::null()];

    const fn handler(prefix: &'static [u8], index: u8) -> bindings::xattr_handler {
        bindings::xattr_handler {
            prefix: prefix.as_ptr().cast(),
            flags: index as c_int,
            get: Some(xattr_get::<T>),
            // SAFETY: the remaining members (name, list, set) are
            // optional; zero means absent.
            ..unsafe { core::mem::zeroed() }
        }
    }
}
