// SPDX-License-Identifier: GPL-2.0

//! Extended attributes (fs/erofs/xattr.c): the handlers, lookups and
//! listing through the format core, POSIX ACL values, long name prefixes
//! loaded at mount.

use crate::format::inode::Inode as DiskInode;
use crate::format::super_block::PrefixHome;
use crate::format::xattr::{self, LongPrefix};
use crate::format::{self, read_exact};
use crate::super_::{fs_error, Erofs, ErofsSb};
use crate::vfs::inode::AclType;
use crate::vfs::super_block::New;
use crate::vfs::xattr::{Handler, HandlerTable};
use crate::vfs::{self, Inode, NameSink, SuperBlock};
use core::ops::ControlFlow;
use kernel::prelude::*;

/// On-disk name indexes of the short prefixes (EROFS_XATTR_INDEX_*).
pub(crate) const INDEX_USER: u8 = 1;
pub(crate) const INDEX_POSIX_ACL_ACCESS: u8 = 2;
pub(crate) const INDEX_POSIX_ACL_DEFAULT: u8 = 3;
pub(crate) const INDEX_TRUSTED: u8 = 4;
pub(crate) const INDEX_SECURITY: u8 = 6;

static USER_HANDLER: Handler = Handler::new::<Erofs>(b"user.\0", INDEX_USER as i32);
static TRUSTED_HANDLER: Handler = Handler::new::<Erofs>(b"trusted.\0", INDEX_TRUSTED as i32);
static SECURITY_HANDLER: Handler = Handler::new::<Erofs>(b"security.\0", INDEX_SECURITY as i32);

/// erofs_xattr_handlers: user., trusted. and security. names; the POSIX
/// ACL names are the VFS's own, read through `get_acl_xattr`.
pub(crate) static EROFS_XATTR_HANDLERS: HandlerTable =
    HandlerTable::new(&[Some(&USER_HANDLER), Some(&TRUSTED_HANDLER), Some(&SECURITY_HANDLER), None]);

/// Whether names of `index` may be listed to the caller, as
/// xattr_handler_can_list() decides for the C driver's handlers: user.
/// per mount option, trusted. for CAP_SYS_ADMIN, security. and the ACL
/// names always; other indexes have no handler and are hidden.
fn can_list(index: u8, user_xattr: bool) -> bool {
    match index {
        INDEX_USER => user_xattr,
        INDEX_TRUSTED => vfs::capable_sys_admin(),
        INDEX_SECURITY | INDEX_POSIX_ACL_ACCESS | INDEX_POSIX_ACL_DEFAULT => true,
        _ => false,
    }
}

/// Reads the long xattr name prefix table (erofs_xattr_prefixes_init):
/// from the metabox, the packed inode or the plain metadata (see
/// `PrefixHome`).
pub(crate) fn read_prefixes(sb: &SuperBlock<Erofs, New>, sbi: &ErofsSb) -> Result<KVec<LongPrefix>> {
    let disk = &sbi.disk;
    let mut out = KVec::new();
    if disk.xattr_prefix_count == 0 {
        return Ok(out);
    }
    let home = disk.xattr_prefix_home();
    let packed = match home {
        PrefixHome::Packed(nid) => Some(DiskInode::read(&sbi.src, disk, nid).map_err(|e| fs_error(sb, format_args!("packed inode"), e))?),
        _ => None,
    };
    let dev = if home == PrefixHome::Metabox { format::METABOX } else { 0 };
    let mut pos = (disk.xattr_prefix_start as u64) << 2;
    for _ in 0..disk.xattr_prefix_count {
        let p = xattr::read_long_prefix(
            |at, buf| match &packed {
                Some(ino) => {
                    let end = at.checked_add(buf.len() as u64).ok_or(format::Error::BadXattr)?;
                    if end > ino.size {
                        return Err(format::Error::BadXattr);
                    }
                    crate::format::zdata::read_file(&mut crate::zdata::ZReader::new(sbi, None), ino, at, buf)
                }
                None => read_exact(&sbi.src, dev, at, disk.block_size(), buf),
            },
            &mut pos,
        )
        .map_err(|e| fs_error(sb, format_args!("long xattr prefixes"), e))?;
        out.push(p, GFP_KERNEL)?;
    }
    Ok(out)
}

/// erofs_getxattr: the value of (`index`, `name`).
pub(crate) fn get(inode: &Inode<Erofs>, index: u8, name: &[u8], buf: Option<&mut [u8]>) -> Result<usize> {
    let sb = inode.super_block();
    let sbi = sb.data();
    if index == INDEX_USER && !sbi.opts.user_xattr {
        return Err(vfs::error::eopnotsupp());
    }
    let di = inode.data();
    xattr::get(&sbi.src, &sbi.disk, di, &sbi.prefixes[..], index, name, buf)
        .map_err(|e| fs_error(sb, format_args!("xattrs of nid {}", di.nid), e))
}

/// erofs_listxattr.
pub(crate) fn list(inode: &Inode<Erofs>, sink: &mut NameSink<'_>) -> Result {
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    let mut failed = None;
    let r = xattr::list(&sbi.src, &sbi.disk, di, &sbi.prefixes[..], |base, infix, suffix| {
        if !can_list(base, sbi.opts.user_xattr) {
            return Ok(ControlFlow::Continue(()));
        }
        let Some(prefix) = xattr::index_prefix(base) else { return Ok(ControlFlow::Continue(())) };
        if let Err(e) = sink.push(&[prefix, infix, suffix]) {
            failed = Some(e);
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    });
    if let Some(e) = failed {
        return Err(e);
    }
    r.map_err(|e| fs_error(sb, format_args!("xattrs of nid {}", di.nid), e))
}

/// erofs_get_acl: the value of the POSIX ACL xattr of kind `ty`, if any.
pub(crate) fn get_acl_xattr(inode: &Inode<Erofs>, ty: AclType) -> Result<Option<KVec<u8>>> {
    let index = match ty {
        AclType::Access => INDEX_POSIX_ACL_ACCESS,
        AclType::Default => INDEX_POSIX_ACL_DEFAULT,
    };
    let size = match get(inode, index, b"", None) {
        Ok(n) => n,
        Err(e) if e == vfs::error::enodata() => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut value = KVec::from_elem(0u8, size, GFP_KERNEL)?;
    match get(inode, index, b"", Some(&mut value)) {
        // Both reads see the same image: the size cannot change.
        Ok(n) if n == value.len() => Ok(Some(value)),
        Ok(_) => Err(EIO),
        Err(e) if e == vfs::error::enodata() => Ok(None),
        Err(e) => Err(e),
    }
}
