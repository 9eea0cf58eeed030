// SPDX-License-Identifier: GPL-2.0

//! Reading inodes (fs/erofs/inode.c): the on-disk inode becomes the VFS
//! inode's attributes, and its type and layout pick its operations
//! (erofs_fill_inode); getattr, and the inode operation tables of
//! regular files, special files and symlinks.

use crate::format;
use crate::format::erofs_fs::{INODE_CHUNK_BASED, INODE_FLAT_PLAIN};
use crate::format::inode::{FileType, Inode as DiskInode, InodeLayout};
use crate::format::zmap::ZInfo;
use crate::super_::{fs_error, DaxMode, Erofs};
use crate::vfs::compat::c_erofs;
use crate::vfs::inode::{self as vi, AclType, GetLink, Kstat, Ops};
use crate::vfs::{FiemapInfo, Inode, InodeParams, SuperBlock};
use crate::{data, dir, fileio, namei, xattr, zdata};
use kernel::prelude::*;

/// What our inodes keep besides the VFS inode (which holds the
/// attributes): the on-disk inode's layout and, for compressed ones, the
/// map header, read once when the inode is loaded
/// (z_erofs_fill_inode_lazy reads it on the first map instead). A bad
/// header is kept as the error that reads of the inode then return, so
/// `stat` still works on it as with the C driver.
pub(crate) struct ErofsInode {
    pub(crate) disk: InodeLayout,
    pub(crate) zinfo: Option<format::Result<ZInfo>>,
}

impl core::ops::Deref for ErofsInode {
    type Target = InodeLayout;
    fn deref(&self) -> &InodeLayout {
        &self.disk
    }
}

/// The page-cache operations of uncompressed inodes of a mount whose
/// blobs are read through fscache; `None` for other mounts.
fn fscache_aops(_sbi: &crate::super_::ErofsSb) -> Option<&'static crate::vfs::address_space::Ops<Erofs>> {
    #[cfg(erofs_rs_fscache)]
    if _sbi.src.is_fscache() {
        return Some(&crate::fscache::EROFS_FSCACHE_ACCESS_AOPS);
    }
    None
}

/// erofs_read_inode + erofs_fill_inode: the inode `nid`, its attributes
/// and operations.
pub(crate) fn read_inode(sb: &SuperBlock<Erofs>, nid: u64) -> Result<(InodeParams<Erofs>, ErofsInode)> {
    let sbi = sb.data();
    let disk = &sbi.disk;
    let di = DiskInode::read(&sbi.src, disk, nid).map_err(|e| fs_error(sb, format_args!("nid {}", nid), e))?;
    // Data goes through iomap for uncompressed inodes on block devices,
    // through the file-backed path on regular files, and through the
    // decompressor for compressed ones, whatever the file type.
    let aops = if di.is_compressed() {
        &zdata::Z_EROFS_AOPS
    } else if let Some(aops) = fscache_aops(sbi) {
        aops
    } else if sb.has_bdev() {
        &data::EROFS_AOPS
    } else {
        &fileio::EROFS_FILEIO_AOPS
    };
    let mut params = InodeParams {
        mode: di.mode,
        uid: di.uid,
        gid: di.gid,
        nlink: di.nlink,
        size: di.size,
        blocks: if di.is_compressed() && c_erofs::COMPRESSED_BLOCKS_AS_STORED {
            di.compressed_blocks << (disk.blkszbits - 9)
        } else {
            di.blocks_512
        },
        mtime: di.mtime as i64,
        mtime_nsec: di.mtime_nsec,
        rdev_major: di.rdev_major,
        rdev_minor: di.rdev_minor,
        iops: &EROFS_GENERIC_IOPS,
        fops: None,
        aops: None,
        link: None,
        nohighmem: false,
        dax: false,
        large_folios: false,
        // erofs_read_inode caches "no ACL" as 7.x does (6.12's C driver
        // asks get_acl, which finds none in the same cases).
        no_acl: crate::format::xattr::has_no_acl(&sbi.src, disk, &di, c_erofs::NOACL_FROM_NAME_FILTER),
    };
    match di.file_type() {
        FileType::Regular => {
            params.fops = Some(&data::EROFS_FILE_FOPS);
            params.aops = Some(aops);
            // Flat (not tail-packed) and chunk-based data lies in whole
            // blocks on the devices, which DAX maps directly.
            params.dax = sbi.opts.dax == DaxMode::Always && matches!(di.datalayout, INODE_FLAT_PLAIN | INODE_CHUNK_BASED);
            // Large folios, as erofs_fill_inode allows: readahead then
            // fills a window with a few folios rather than one per page,
            // and copy_page_to_iter reads them whole. Our fscache aops
            // fill page-sized folios only.
            params.large_folios = fscache_aops(sbi).is_none() || di.is_compressed();
        }
        FileType::Directory => {
            params.iops = &namei::EROFS_DIR_IOPS;
            params.fops = Some(&dir::EROFS_DIR_FOPS);
            params.aops = Some(aops);
            params.nohighmem = true;
        }
        FileType::Symlink if di.is_fast_symlink(disk) => {
            // The target sits right after the inode and its xattrs, inside
            // the block; keep a NUL-terminated copy for get_link.
            let len = di.size as usize;
            let mut target = KVec::from_elem(0u8, len + 1, GFP_KERNEL)?;
            let at = di.tail_offset(disk).map_err(|e| fs_error(sb, format_args!("nid {}", nid), e))?;
            crate::format::read_exact(&sbi.src, di.meta_dev, at, disk.block_size(), &mut target[..len])
                .map_err(|e| fs_error(sb, format_args!("symlink nid {}", nid), e))?;
            params.iops = &EROFS_FAST_SYMLINK_IOPS;
            params.link = Some(target);
            params.nohighmem = true;
        }
        FileType::Symlink => {
            params.iops = &EROFS_SYMLINK_IOPS;
            params.aops = Some(aops);
            params.nohighmem = true;
        }
        // Device nodes, fifos and sockets: the VFS sets them up from the
        // mode and device number.
        _ => {}
    }
    let zinfo = (di.is_compressed() && di.size > 0).then(|| ZInfo::read(&sbi.src, disk, &di));
    Ok((params, ErofsInode { disk: di.layout, zinfo }))
}

/// erofs_getattr: every inode is immutable, compressed ones say so;
/// regular files answer STATX_DIOALIGN: uncompressed ones on a block
/// device with the alignment O_DIRECT reads need (`data::read_iter`
/// checks addresses, lengths and offsets against the device's logical
/// block size), others with none, which statx defines as "no direct I/O
/// support" (as the 7.x C driver reports them).
pub(crate) fn getattr(inode: &Inode<Erofs>, stat: &mut Kstat<'_>) -> Result {
    let di = inode.data();
    let supported = vi::STATX_ATTR_COMPRESSED | vi::STATX_ATTR_IMMUTABLE;
    let set = if di.is_compressed() { supported } else { vi::STATX_ATTR_IMMUTABLE };
    stat.add_attributes(set, supported);
    if stat.request_mask() & vi::STATX_DIOALIGN != 0 && di.file_type() == FileType::Regular {
        stat.add_result(vi::STATX_DIOALIGN);
        match inode.super_block().bdev_logical_block_size() {
            Some(align) if !di.is_compressed() => stat.set_dio_align(align, align),
            _ => {}
        }
    }
    stat.fill_generic();
    Ok(())
}

/// erofs_generic_iops: regular files and special files.
struct GenericIops;
/// erofs_symlink_iops: symlinks whose target is file data.
struct SymlinkIops;
/// erofs_fast_symlink_iops: symlinks whose target is in the inode.
struct FastSymlinkIops;

pub(crate) static EROFS_GENERIC_IOPS: Ops<Erofs> = Ops::new::<GenericIops>();
pub(crate) static EROFS_SYMLINK_IOPS: Ops<Erofs> = Ops::new::<SymlinkIops>();
pub(crate) static EROFS_FAST_SYMLINK_IOPS: Ops<Erofs> = Ops::new::<FastSymlinkIops>();

#[vtable]
impl vi::Operations for GenericIops {
    type FileSystem = Erofs;

    fn getattr(inode: &Inode<Erofs>, stat: &mut Kstat<'_>) -> Result {
        getattr(inode, stat)
    }

    fn get_acl_xattr(inode: &Inode<Erofs>, ty: AclType) -> Result<Option<KVec<u8>>> {
        xattr::get_acl_xattr(inode, ty)
    }

    fn fiemap(inode: &Inode<Erofs>, fi: &mut FiemapInfo<'_>, start: u64, len: u64) -> Result {
        data::fiemap(inode, fi, start, len)
    }
}

#[vtable]
impl vi::Operations for SymlinkIops {
    type FileSystem = Erofs;
    const GET_LINK: GetLink = GetLink::PageCache;

    fn getattr(inode: &Inode<Erofs>, stat: &mut Kstat<'_>) -> Result {
        getattr(inode, stat)
    }

    fn get_acl_xattr(inode: &Inode<Erofs>, ty: AclType) -> Result<Option<KVec<u8>>> {
        xattr::get_acl_xattr(inode, ty)
    }
}

#[vtable]
impl vi::Operations for FastSymlinkIops {
    type FileSystem = Erofs;
    const GET_LINK: GetLink = GetLink::InodeLink;

    fn getattr(inode: &Inode<Erofs>, stat: &mut Kstat<'_>) -> Result {
        getattr(inode, stat)
    }

    fn get_acl_xattr(inode: &Inode<Erofs>, ty: AclType) -> Result<Option<KVec<u8>>> {
        xattr::get_acl_xattr(inode, ty)
    }
}
