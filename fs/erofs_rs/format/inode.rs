// SPDX-License-Identifier: GPL-2.0

//! On-disk inodes (fs/erofs/inode.c, erofs_read_inode).

use super::erofs_fs::*;
use super::super_block::SuperBlock;
use super::{read_exact, Error, Result, Source};

/// The file type of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    /// The type of `mode`, or `None` for invalid type bits.
    pub fn from_mode(mode: u16) -> Option<Self> {
        Some(match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => return None,
        })
    }

    /// The matching directory entry type (`FT_*`).
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Regular => FT_REG_FILE,
            FileType::Directory => FT_DIR,
            FileType::Symlink => FT_SYMLINK,
            FileType::CharDevice => FT_CHRDEV,
            FileType::BlockDevice => FT_BLKDEV,
            FileType::Fifo => FT_FIFO,
            FileType::Socket => FT_SOCK,
        }
    }
}

/// [`InodeLayout::blkaddr`] of an inode without data blocks: no block
/// address has 64 bits.
const NO_BLOCKS: u64 = u64::MAX;

/// What reading an inode's data, xattrs and directory entries needs of
/// it: the part of [`Inode`] the kernel module keeps with a cached inode,
/// whose attributes live in the VFS inode (as `struct erofs_inode` does
/// in the C driver). [`Inode`] derefs to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InodeLayout {
    pub nid: u64,
    pub size: u64,
    /// Flat layouts: the first data block (with the high bits of 48-bit
    /// images); [`NO_BLOCKS`] for a plain inode without blocks (see
    /// [`InodeLayout::startblk`]).
    blkaddr: u64,
    /// Raw `i_u`: start block, rdev, compressed block count or chunk info.
    pub i_u: u32,
    /// Bytes of inline xattrs after the inode.
    pub xattr_isize: u32,
    /// The device of the inode's metadata: 0 (the primary device) or
    /// [`METABOX`](super::METABOX). Its inline xattrs, inline data, chunk and compression
    /// indexes follow it there.
    pub meta_dev: u16,
    pub xattr_icount: u16,
    pub mode: u16,
    /// For chunk-based inodes: chunk format and log2 of the chunk size.
    pub chunkformat: u16,
    pub chunkbits: u8,
    /// 32 (compact) or 64 (extended).
    pub inode_isize: u8,
    pub datalayout: u8,
    /// A directory whose `.` entry is not stored (readdir makes it up).
    pub dot_omitted: bool,
}

/// A parsed and checked on-disk inode: its layout and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub layout: InodeLayout,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    /// Modification time; compact inodes take the image's build time.
    pub mtime: u64,
    pub mtime_nsec: u32,
    /// The 32-bit inode number stored for old stat() callers.
    pub ino32: u32,
    /// Compressed layouts: the compressed block count.
    pub compressed_blocks: u64,
    /// Device number (new_encode_dev format decoded to major/minor).
    pub rdev_major: u32,
    pub rdev_minor: u32,
    /// `stat.st_blocks` (512-byte units) as the C driver computes it.
    pub blocks_512: u64,
}

impl core::ops::Deref for Inode {
    type Target = InodeLayout;
    fn deref(&self) -> &InodeLayout {
        &self.layout
    }
}

impl core::ops::DerefMut for Inode {
    fn deref_mut(&mut self) -> &mut InodeLayout {
        &mut self.layout
    }
}

impl Inode {
    /// Reads inode `nid`, checking it as the C driver does.
    pub fn read<S: Source + ?Sized>(src: &S, sb: &SuperBlock, nid: u64) -> Result<Self> {
        let (meta_dev, iloc) = sb.inode_location(nid)?;
        let blksz = sb.block_size();
        let mut raw = [0u8; INODE_EXTENDED_SIZE];
        read_exact(src, meta_dev, iloc, blksz, &mut raw[..INODE_COMPACT_SIZE])?;
        let ifmt = inode_compact::I_FORMAT.get(&raw)?;
        if ifmt & !I_ALL != 0 {
            return Err(Error::UnsupportedInodeFormat(ifmt));
        }
        let datalayout = inode_datalayout(ifmt);
        if datalayout > INODE_CHUNK_BASED {
            return Err(Error::UnsupportedDataLayout(datalayout));
        }
        let xattr_icount = inode_compact::I_XATTR_ICOUNT.get(&raw)?;
        let mode = inode_compact::I_MODE.get(&raw)?;
        let mut ino = Inode {
            layout: InodeLayout {
                nid,
                size: 0,
                blkaddr: NO_BLOCKS,
                i_u: 0,
                xattr_isize: xattr_ibody_size(xattr_icount),
                meta_dev,
                xattr_icount,
                mode,
                chunkformat: 0,
                chunkbits: 0,
                inode_isize: 0,
                datalayout,
                dot_omitted: false,
            },
            nlink: 0,
            uid: 0,
            gid: 0,
            mtime: 0,
            mtime_nsec: 0,
            ino32: 0,
            compressed_blocks: 0,
            rdev_major: 0,
            rdev_minor: 0,
            blocks_512: 0,
        };
        // `i_nb` as the high 16 bits of the start block or block count,
        // and how many bits a start block has (a NULL_ADDR start block is
        // all ones in those bits).
        let (nb_hi, addrbits);
        if inode_version(ifmt) == INODE_LAYOUT_EXTENDED {
            // An extended inode may cross a block boundary; read_exact
            // stitches the two halves as the C driver does.
            let tail_off = iloc.checked_add(INODE_COMPACT_SIZE as u64).ok_or(Error::BadNid(nid))?;
            read_exact(src, meta_dev, tail_off, blksz, &mut raw[INODE_COMPACT_SIZE..])?;
            nb_hi = inode_extended::I_NB.get(&raw)?;
            addrbits = 48;
            ino.inode_isize = INODE_EXTENDED_SIZE as u8;
            let size = inode_extended::I_SIZE.get(&raw)?;
            if size > i64::MAX as u64 {
                return Err(Error::BadSize);
            }
            ino.size = size;
            ino.i_u = inode_extended::I_U.get(&raw)?;
            ino.ino32 = inode_extended::I_INO.get(&raw)?;
            ino.uid = inode_extended::I_UID.get(&raw)?;
            ino.gid = inode_extended::I_GID.get(&raw)?;
            ino.mtime = inode_extended::I_MTIME.get(&raw)?;
            ino.mtime_nsec = inode_extended::I_MTIME_NSEC.get(&raw)?;
            ino.nlink = inode_extended::I_NLINK.get(&raw)?;
        } else {
            ino.inode_isize = INODE_COMPACT_SIZE as u8;
            let nb = inode_compact::I_NB.get(&raw)?;
            if mode & S_IFMT != S_IFDIR && (ifmt >> I_NLINK_1_BIT) & 1 != 0 {
                ino.nlink = 1;
                nb_hi = nb;
                addrbits = 48;
            } else {
                ino.nlink = nb as u32;
                nb_hi = 0;
                addrbits = 32;
            }
            ino.size = inode_compact::I_SIZE.get(&raw)? as u64;
            ino.i_u = inode_compact::I_U.get(&raw)?;
            ino.ino32 = inode_compact::I_INO.get(&raw)?;
            ino.uid = inode_compact::I_UID.get(&raw)? as u32;
            ino.gid = inode_compact::I_GID.get(&raw)? as u32;
            // Seconds after the epoch (images before erofs-utils 1.9 store
            // 0: the build time).
            ino.mtime = sb.epoch.wrapping_add(inode_compact::I_MTIME.get(&raw)? as u64);
            ino.mtime_nsec = sb.fixed_nsec;
        }
        let wide = (ino.i_u as u64) | (nb_hi as u64) << 32;
        let ftype = FileType::from_mode(mode).ok_or(Error::BadMode(mode))?;
        if ftype == FileType::Directory {
            ino.dot_omitted = (ifmt >> I_DOT_OMITTED_BIT) & 1 != 0;
        }
        if matches!(ftype, FileType::Regular | FileType::Directory | FileType::Symlink) {
            let mask = (1u64 << addrbits) - 1;
            let null = datalayout == INODE_FLAT_PLAIN && wide & mask == mask;
            if !null {
                ino.blkaddr = wide;
            }
        }
        match ftype {
            FileType::CharDevice | FileType::BlockDevice => {
                // new_decode_dev()
                let dev = ino.i_u;
                ino.rdev_major = (dev & 0xfff00) >> 8;
                ino.rdev_minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
            }
            _ => {}
        }
        let compressed = datalayout == INODE_COMPRESSED_FULL || datalayout == INODE_COMPRESSED_COMPACT;
        if datalayout == INODE_CHUNK_BASED {
            let fmt = (ino.i_u & 0xffff) as u16;
            if fmt & !CHUNK_FORMAT_ALL != 0 {
                return Err(Error::BadChunkFormat(fmt));
            }
            ino.chunkformat = fmt;
            let chunkbits = sb.blkszbits as u32 + (fmt & CHUNK_FORMAT_BLKBITS_MASK) as u32;
            // Chunks beyond 2^63 bytes cannot be addressed.
            if chunkbits > 62 {
                return Err(Error::BadChunkFormat(fmt));
            }
            ino.chunkbits = chunkbits as u8;
        }
        if compressed {
            ino.compressed_blocks = wide;
        }
        let nblks = ino.compressed_blocks;
        ino.blocks_512 = if nblks == 0 { ino.size.div_ceil(blksz as u64) * (blksz as u64 / 512) } else { nblks << (sb.blkszbits - 9) };
        Ok(ino)
    }
}

impl InodeLayout {
    /// Flat layouts: the first data block, `None` for a plain inode
    /// without blocks.
    pub fn startblk(&self) -> Option<u64> {
        (self.blkaddr != NO_BLOCKS).then_some(self.blkaddr)
    }

    pub fn file_type(&self) -> FileType {
        // Checked in `read`.
        FileType::from_mode(self.mode).unwrap_or(FileType::Regular)
    }

    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    pub fn is_compressed(&self) -> bool {
        self.datalayout == INODE_COMPRESSED_FULL || self.datalayout == INODE_COMPRESSED_COMPACT
    }

    /// Permission bits and set-id/sticky bits.
    pub fn permissions(&self) -> u16 {
        self.mode & 0o7777
    }

    /// Byte offset of the on-disk inode on `meta_dev` (from the nid, as
    /// the C driver's erofs_iloc; not kept, to keep cached inodes small).
    pub fn iloc(&self, sb: &SuperBlock) -> Result<u64> {
        sb.inode_location(self.nid).map(|(_, at)| at)
    }

    /// Byte offset right after the on-disk inode and its inline xattrs:
    /// where inline data, chunk indexes or compression indexes start.
    pub fn tail_offset(&self, sb: &SuperBlock) -> Result<u64> {
        self.iloc(sb)?.checked_add(self.inode_isize as u64 + self.xattr_isize as u64).ok_or(Error::BadNid(self.nid))
    }

    /// Number of blocks the data occupies, rounded up.
    pub fn data_blocks(&self, sb: &SuperBlock) -> u64 {
        self.size.div_ceil(sb.block_size() as u64)
    }

    /// A symlink whose target sits inline in the metadata block ("fast"
    /// symlink in the C driver); others are read as file data.
    pub fn is_fast_symlink(&self, sb: &SuperBlock) -> bool {
        if self.file_type() != FileType::Symlink || self.datalayout != INODE_FLAT_INLINE {
            return false;
        }
        let blksz = sb.block_size() as u64;
        let Ok(iloc) = self.iloc(sb) else { return false };
        let ofs = (iloc % blksz) + self.inode_isize as u64 + self.xattr_isize as u64;
        // The C driver keeps the offset within its (page-sized) mapping of
        // the inode's block: offsets past the first block do not count.
        let ofs = if self.inode_isize as u64 + (iloc % blksz) > blksz { ofs - blksz } else { ofs };
        match ofs.checked_add(self.size) {
            Some(end) => end <= blksz,
            None => false,
        }
    }
}
