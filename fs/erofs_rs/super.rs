// SPDX-License-Identifier: GPL-2.0

//! Superblock and mount handling (fs/erofs/super.c): mount options, reading
//! and checking the on-disk superblock, statfs and show_options.

use crate::data::MetaSource;
use crate::format::data::DeviceMode;
use crate::format::erofs_fs::SUPER_MAGIC_V1;
use crate::format::{self, super_block::SuperBlock as DiskSuper};
use crate::vfs::dentry::Root;
use crate::vfs::printk::{erofs_err, erofs_info};
use crate::vfs::super_block::{New, State};
use crate::vfs::xattr::HandlerTable;
use crate::vfs::{self, ARef, FileRef, FileSystem, FsContext, Inode, InodeParams, NameSink, SeqFile, StatFs, SuperBlock};
use crate::zdata::ZState;
use crate::{inode, xattr};
use kernel::c_str;
use kernel::prelude::*;

/// The `erofs_rs` filesystem type.
pub(crate) struct Erofs;

/// `cache_strategy=` values, as the C driver names them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheStrategy {
    Disabled,
    ReadAhead,
    ReadAround,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum DaxMode {
    Default,
    Always,
    Never,
}

/// Mount options (erofs_mount_opts), defaults as in the C driver.
pub(crate) struct MountOptions {
    pub(crate) user_xattr: bool,
    pub(crate) acl: bool,
    pub(crate) cache_strategy: CacheStrategy,
    pub(crate) dax: DaxMode,
    pub(crate) directio: bool,
    /// `device=` paths, NUL-terminated, in the order given (in fscache
    /// mode: blob names).
    pub(crate) devices: KVec<KVec<u8>>,
    /// `fsid=`: the primary blob of an fscache-backed mount.
    pub(crate) fsid: Option<KVec<u8>>,
    /// `domain_id=`: the shared domain of an fscache-backed mount's blobs
    /// and of page cache sharing.
    pub(crate) domain_id: Option<KVec<u8>>,
    /// `inode_share` (7.x) or `inode_share=verify` (ours): page cache
    /// sharing between files with equal fingerprints in the domain.
    pub(crate) inode_share: Option<crate::ishare::ShareMode>,
    /// `cache_tag=`: the cache (a cachefiles `tag`) holding the blobs, if
    /// not the first one bound; NUL-terminated. Not in the C driver.
    pub(crate) cache_tag: Option<KVec<u8>>,
    /// `fsoffset=` (7.x): where the filesystem starts on the primary
    /// device, in bytes (a multiple of the block size).
    pub(crate) fsoffset: u64,
}

impl Default for MountOptions {
    fn default() -> Self {
        Self {
            user_xattr: true,
            acl: true,
            cache_strategy: CacheStrategy::ReadAround,
            dax: DaxMode::Default,
            directio: false,
            devices: KVec::new(),
            fsid: None,
            domain_id: None,
            inode_share: None,
            cache_tag: None,
            fsoffset: 0,
        }
    }
}

/// Per-mount state (erofs_sb_info).
pub(crate) struct ErofsSb {
    pub(crate) disk: DiskSuper,
    pub(crate) src: MetaSource,
    pub(crate) opts: MountOptions,
    pub(crate) devices: DeviceMode,
    pub(crate) total_blocks: u64,
    /// Long xattr name prefixes (empty until read at the end of mount).
    pub(crate) prefixes: KVec<crate::format::xattr::LongPrefix>,
    /// Buffers, decoded extents and decompressor workspaces of
    /// compressed reads.
    pub(crate) z: Pin<KBox<ZState>>,
}

/// Logs a problem with the image naming the device, and turns a format
/// error into the errno the C driver returns for it.
pub(crate) fn fs_error<S: State>(sb: &SuperBlock<Erofs, S>, what: core::fmt::Arguments<'_>, e: format::Error) -> Error {
    use format::Error as E;
    match e {
        E::NotFound => return ENOENT,
        E::NotDir => return ENOTDIR,
        E::NoXattr => return vfs::error::enodata(),
        E::BufferTooSmall => return ERANGE,
        E::NoMemory => return ENOMEM,
        _ => {}
    }
    erofs_err!(sb, "{}: {}\n", what, e);
    match e {
        E::Io => EIO,
        E::UnsupportedIncompat(_)
        | E::UnsupportedBlockSize(_)
        | E::UnsupportedDirBlockSize(_)
        | E::BadMagic(_)
        | E::BadExtSlots(_)
        | E::BadDeviceTable => EINVAL,
        E::BadChecksum { .. } => vfs::error::ebadmsg(),
        E::UnsupportedInodeFormat(_) | E::UnsupportedDataLayout(_) | E::UnsupportedAlgorithm(_) | E::Unsupported(_) => {
            vfs::error::eopnotsupp()
        }
        _ => vfs::error::efscorrupted(),
    }
}

/// `device=` names either every extra device of the device table or none.
pub(crate) fn check_device_count(sb: &SuperBlock<Erofs, New>, disk: &DiskSuper, given: usize) -> Result {
    let ondisk = disk.extra_device_count() as usize;
    if given != 0 && given != ondisk {
        erofs_err!(sb, "extra devices don't match (ondisk {}, given {})\n", ondisk, given);
        return Err(EINVAL);
    }
    Ok(())
}

/// The end of every `fill_super`: the mount's state, with what it reads
/// at mount time.
/// Whether `dax=always` can be kept (the C driver's checks in
/// erofs_fc_fill_super, and 7.x's per device in erofs_init_device):
/// every device the mount reads must be DAX-capable and blocks must be
/// pages; otherwise DAX is turned off with the C driver's message and the
/// mount goes on without it.
fn check_dax(sb: &SuperBlock<Erofs, New>, fc: &FsContext, disk: &DiskSuper, src: &MetaSource, given: usize, opts: &mut MountOptions) {
    if !src.has_dax(0) {
        fc.error(c_str!("DAX unsupported by block device. Turning off DAX."));
        opts.dax = DaxMode::Default;
    } else if disk.block_size() as usize != vfs::PAGE_SIZE {
        fc.error(c_str!("unsupported blocksize for DAX"));
        opts.dax = DaxMode::Default;
    } else if let Some(i) = (1..=given).find(|&i| !src.has_dax(i as u16)) {
        erofs_info!(sb, "DAX unsupported by device {}. Turning off DAX.\n", i);
        opts.dax = DaxMode::Default;
    }
}

pub(crate) fn finish_fill(
    sb: &SuperBlock<Erofs, New>,
    disk: DiskSuper,
    src: MetaSource,
    opts: MountOptions,
    devices: DeviceMode,
    total_blocks: u64,
) -> Result<ErofsSb> {
    let mut opts = opts;
    crate::ishare::check_feature(sb, &disk, &mut opts);
    let z = KBox::pin_init(ZState::new(), GFP_KERNEL)?;
    let mut sbi = ErofsSb { disk, src, opts, devices, total_blocks, prefixes: KVec::new(), z };
    if sbi.disk.has_metabox() {
        let metabox = read_metabox(&sbi).map_err(|e| fs_error(sb, format_args!("metabox nid {}", sbi.disk.metabox_nid), e))?;
        sbi.src.set_metabox(metabox);
    }
    sbi.prefixes = xattr::read_prefixes(sb, &sbi)?;
    Ok(sbi)
}

/// The largest metabox a mount loads.
const METABOX_MAX: u64 = 256 << 20;

/// The whole data of the metabox inode, decoded once at mount: the
/// inodes, inline data and indexes of the nids with the metabox bit are
/// read from it. (The C driver reads it through the metabox inode's page
/// cache, which memory pressure can shrink; this copy stays for the
/// mount's life.) The metabox inode itself is never in the metabox: the
/// superblock checks its nid.
fn read_metabox(sbi: &ErofsSb) -> format::Result<KVVec<u8>> {
    let ino = format::inode::Inode::read(&sbi.src, &sbi.disk, sbi.disk.metabox_nid)?;
    if ino.size > METABOX_MAX {
        return Err(format::Error::Unsupported("a metabox over 256 MiB"));
    }
    let mut data = KVVec::from_elem(0u8, ino.size as usize, GFP_KERNEL).map_err(|_| format::Error::NoMemory)?;
    crate::format::zdata::read_file(&mut crate::zdata::ZReader::new(sbi, None), &ino, 0, &mut data)?;
    Ok(data)
}

/// A number as `kstrtoull(s, 0, ..)` reads it: decimal, `0x` hex or
/// `0` octal.
fn parse_u64(s: &[u8]) -> Option<u64> {
    let (digits, radix) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
        _ => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |v, &c| {
        let d = (c as char).to_digit(radix)?;
        v.checked_mul(radix as u64)?.checked_add(d as u64)
    })
}

fn flag(fc: &FsContext, value: Option<&[u8]>) -> Result {
    if value.is_some() {
        fc.error(c_str!("this option takes no value"));
        return Err(EINVAL);
    }
    Ok(())
}

#[vtable]
impl FileSystem for Erofs {
    const NAME: &'static CStr = c_str!("erofs_rs");
    const MAGIC: u64 = SUPER_MAGIC_V1 as u64;
    const XATTR_HANDLERS: Option<&'static HandlerTable> = Some(&xattr::EROFS_XATTR_HANDLERS);
    type Options = MountOptions;
    type Data = ErofsSb;
    type INodeData = inode::ErofsInode;

    fn parse_param(fc: &FsContext, o: &mut MountOptions, key: &[u8], value: Option<&[u8]>) -> Result {
        match key {
            b"user_xattr" | b"nouser_xattr" => {
                flag(fc, value)?;
                o.user_xattr = key == b"user_xattr";
            }
            b"acl" | b"noacl" => {
                flag(fc, value)?;
                o.acl = key == b"acl";
            }
            b"directio" | b"nodirectio" => {
                flag(fc, value)?;
                o.directio = key == b"directio";
            }
            b"cache_strategy" => {
                o.cache_strategy = match value {
                    Some(b"disabled") => CacheStrategy::Disabled,
                    Some(b"readahead") => CacheStrategy::ReadAhead,
                    Some(b"readaround") => CacheStrategy::ReadAround,
                    _ => {
                        fc.error(c_str!("Unknown parameter value for cache_strategy"));
                        return Err(EINVAL);
                    }
                }
            }
            b"dax" => {
                o.dax = match value {
                    None | Some(b"always") => DaxMode::Always,
                    Some(b"never") => DaxMode::Never,
                    _ => {
                        fc.error(c_str!("Unknown parameter value for dax"));
                        return Err(EINVAL);
                    }
                }
            }
            b"fsoffset" => {
                o.fsoffset = match value.and_then(parse_u64) {
                    Some(v) => v,
                    None => {
                        fc.error(c_str!("Bad value for 'fsoffset'"));
                        return Err(EINVAL);
                    }
                };
            }
            b"device" => {
                let Some(path) = value else { return Err(EINVAL) };
                let mut p = KVec::with_capacity(path.len() + 1, GFP_KERNEL)?;
                p.extend_from_slice(path, GFP_KERNEL)?;
                p.push(0, GFP_KERNEL)?;
                o.devices.push(p, GFP_KERNEL)?;
            }
            b"inode_share" => {
                o.inode_share = Some(match value {
                    None => crate::ishare::ShareMode::Domain,
                    Some(b"verify") => crate::ishare::ShareMode::Verify,
                    _ => {
                        fc.error(c_str!("Unknown parameter value for inode_share"));
                        return Err(EINVAL);
                    }
                });
            }
            b"domain_id" => {
                let Some(v) = value else { return Err(EINVAL) };
                let mut s = KVec::with_capacity(v.len(), GFP_KERNEL)?;
                s.extend_from_slice(v, GFP_KERNEL)?;
                o.domain_id = Some(s);
            }
            #[cfg(erofs_rs_fscache)]
            b"fsid" | b"cache_tag" => {
                let Some(v) = value else { return Err(EINVAL) };
                let mut s = KVec::with_capacity(v.len() + 1, GFP_KERNEL)?;
                s.extend_from_slice(v, GFP_KERNEL)?;
                match key {
                    b"fsid" => o.fsid = Some(s),
                    _ => {
                        s.push(0, GFP_KERNEL)?;
                        o.cache_tag = Some(s);
                    }
                }
            }
            #[cfg(not(erofs_rs_fscache))]
            b"fsid" | b"cache_tag" => {
                fc.error(c_str!("fscache mode needs a kernel with fscache and on-demand cachefiles (6.12; 7.2 removed them)"));
                return Err(vfs::error::eopnotsupp());
            }
            _ => return Err(ENOPARAM),
        }
        Ok(())
    }

    fn needs_no_source(opts: &MountOptions) -> bool {
        opts.fsid.is_some()
    }

    fn fill_super(sb: &SuperBlock<Self, New>, fc: &FsContext, mut opts: MountOptions, backing: Option<FileRef>) -> Result<ErofsSb> {
        crate::ishare::check_options(fc, &opts)?;
        #[cfg(erofs_rs_fscache)]
        if opts.fsid.is_some() {
            return crate::fscache::fill_super(sb, fc, opts);
        }
        if !sb.set_blocksize(vfs::PAGE_SIZE as u32) {
            fc.error(c_str!("failed to set initial blksize"));
            return Err(EINVAL);
        }
        let mut extra = KVec::new();
        for path in opts.devices.iter() {
            let p = CStr::from_bytes_with_nul(path).map_err(|_| EINVAL)?;
            match sb.open_device(p) {
                Ok(f) => extra.push(f, GFP_KERNEL)?,
                Err(e) => {
                    let shown = crate::vfs::printk::Bytes(&path[..path.len() - 1]);
                    erofs_err!(sb, "cannot open device {}: error {}\n", shown, e.to_errno());
                    return Err(e);
                }
            }
        }
        let given = extra.len();
        opts.devices = KVec::new();
        let mut src = MetaSource::new(sb, backing, extra)?;
        src.set_fsoffset(opts.fsoffset);
        let disk = DiskSuper::read(&src).map_err(|e| fs_error(sb, format_args!("superblock"), e))?;
        if disk.block_size() as usize > vfs::PAGE_SIZE {
            erofs_err!(sb, "blkszbits {} isn't supported\n", disk.blkszbits);
            return Err(EINVAL);
        }
        if disk.block_size() as usize != vfs::PAGE_SIZE && !sb.set_blocksize(disk.block_size()) {
            fc.error(c_str!("failed to set erofs blksize"));
            return Err(EINVAL);
        }
        if opts.fsoffset % disk.block_size() as u64 != 0 {
            erofs_err!(sb, "fsoffset {} is not aligned to block size {}\n", opts.fsoffset, disk.block_size());
            fc.error(c_str!("fsoffset is not aligned to block size"));
            return Err(EINVAL);
        }
        check_device_count(sb, &disk, given)?;
        let mut total_blocks = disk.blocks as u64;
        for i in 0..disk.extra_device_count() {
            let slot = disk.device_slot(&src, i).map_err(|e| fs_error(sb, format_args!("device table"), e))?;
            if given != 0 {
                let need = slot.blocks as u64 * disk.block_size() as u64;
                let have = src.device_size(i + 1).unwrap_or(0);
                if have < need {
                    erofs_err!(sb, "device {} is {} bytes, the image needs {}\n", i + 1, have, need);
                    return Err(EINVAL);
                }
            }
            total_blocks += slot.blocks as u64;
        }
        sb.set_uuid(&disk.uuid);
        sb.set_posix_acl(opts.acl);
        if opts.dax == DaxMode::Always {
            check_dax(sb, fc, &disk, &src, given, &mut opts);
        }
        let devices = if given != 0 { DeviceMode::Separate } else { DeviceMode::Flat };
        finish_fill(sb, disk, src, opts, devices, total_blocks)
    }

    /// The root directory, and the message the C driver logs once a
    /// mount has succeeded (not before: a mount that fails later must not
    /// say it mounted).
    fn init_root(sb: &SuperBlock<Self>) -> Result<Root<Self>> {
        let nid = sb.data().disk.root_nid;
        let root = sb.iget(sb.data().disk.nid_to_ino64(nid))?;
        if root.data().file_type() != format::inode::FileType::Directory {
            erofs_err!(sb, "root inode {} is not a directory\n", nid);
            return Err(EINVAL);
        }
        let root = Root::try_new(root)?;
        erofs_info!(sb, "mounted with root inode @ nid {}.\n", nid);
        Ok(root)
    }

    /// Inode numbers are nids, mapped as the 7.x C driver shows them on
    /// metabox images (`nid_to_ino64`).
    fn read_inode(sb: &SuperBlock<Self>, ino: u64) -> Result<(InodeParams<Self>, inode::ErofsInode)> {
        inode::read_inode(sb, sb.data().disk.ino64_to_nid(ino))
    }

    /// File handles name inodes by nid, as the C erofs's do (erofs_encode_fh).
    fn handle_id(inode: &Inode<Self>) -> u64 {
        inode.data().nid
    }

    fn iget_by_handle(sb: &SuperBlock<Self>, nid: u64) -> Result<ARef<Inode<Self>>> {
        sb.iget(sb.data().disk.nid_to_ino64(nid))
    }

    /// erofs_get_parent: the directory's `..`.
    fn get_parent(dir: &Inode<Self>) -> Result<ARef<Inode<Self>>> {
        crate::namei::lookup(dir, b"..")?.ok_or(ENOENT)
    }

    fn xattr_get(inode: &Inode<Self>, index: i32, name: &[u8], buf: Option<&mut [u8]>) -> Result<usize> {
        xattr::get(inode, index as u8, name, buf)
    }

    fn listxattr(inode: &Inode<Self>, sink: &mut NameSink<'_>) -> Result {
        xattr::list(inode, sink)
    }

    fn statfs(sb: &SuperBlock<Self>) -> Result<StatFs> {
        let sbi = sb.data();
        Ok(StatFs {
            magic: SUPER_MAGIC_V1 as u64,
            bsize: sbi.disk.block_size() as u64,
            blocks: sbi.total_blocks,
            files: u64::MAX,
            ffree: u64::MAX - sbi.disk.inos,
            namelen: format::erofs_fs::NAME_LEN as u64,
            uuid: sbi.disk.uuid,
            dev: sb.dev() as u64,
        })
    }

    fn show_options(sb: &SuperBlock<Self>, seq: &mut SeqFile) -> Result {
        let o = &sb.data().opts;
        seq.puts(if o.user_xattr { c_str!(",user_xattr") } else { c_str!(",nouser_xattr") });
        seq.puts(if o.acl { c_str!(",acl") } else { c_str!(",noacl") });
        seq.puts(match o.cache_strategy {
            CacheStrategy::Disabled => c_str!(",cache_strategy=disabled"),
            CacheStrategy::ReadAhead => c_str!(",cache_strategy=readahead"),
            CacheStrategy::ReadAround => c_str!(",cache_strategy=readaround"),
        });
        match o.dax {
            DaxMode::Always => seq.puts(c_str!(",dax=always")),
            DaxMode::Never => seq.puts(c_str!(",dax=never")),
            DaxMode::Default => {}
        }
        if o.fsoffset != 0 {
            seq.puts(c_str!(",fsoffset="));
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut v = o.fsoffset;
            while v != 0 {
                at -= 1;
                digits[at] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            seq.write(&digits[at..]);
        }
        if !sb.has_bdev() && o.directio {
            seq.puts(c_str!(",directio"));
        }
        if let Some(fsid) = &o.fsid {
            seq.puts(c_str!(",fsid="));
            seq.write(fsid);
        }
        // As the C erofs: 6.12 shows the fscache domain (domain_id= is
        // an fscache option there); 7.x, where it names the page cache
        // sharing domain, does not show it.
        if let (Some(domain), Some(_)) = (&o.domain_id, &o.fsid) {
            seq.puts(c_str!(",domain_id="));
            seq.write(domain);
        }
        match o.inode_share {
            Some(crate::ishare::ShareMode::Domain) => seq.puts(c_str!(",inode_share")),
            Some(crate::ishare::ShareMode::Verify) => seq.puts(c_str!(",inode_share=verify")),
            None => {}
        }
        if let Some(tag) = &o.cache_tag {
            seq.puts(c_str!(",cache_tag="));
            seq.write(&tag[..tag.len() - 1]);
        }
        Ok(())
    }
}
