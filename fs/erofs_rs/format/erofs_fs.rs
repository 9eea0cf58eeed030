// SPDX-License-Identifier: GPL-2.0

//! On-disk constants and record sizes (fs/erofs/erofs_fs.h).

/// Byte offset of the superblock.
pub const SUPER_OFFSET: u64 = 1024;
/// `erofs_super_block.magic`.
pub const SUPER_MAGIC_V1: u32 = 0xE0F5_E1E2;
/// Size of the superblock without extension slots.
pub const SUPER_BLOCK_SIZE: usize = 128;
/// Size of one superblock extension slot.
pub const SB_EXTSLOT_SIZE: usize = 16;

pub const FEATURE_COMPAT_SB_CHKSUM: u32 = 0x1;
pub const FEATURE_COMPAT_MTIME: u32 = 0x2;
pub const FEATURE_COMPAT_XATTR_FILTER: u32 = 0x4;

pub const FEATURE_INCOMPAT_ZERO_PADDING: u32 = 0x1;
pub const FEATURE_INCOMPAT_COMPR_CFGS: u32 = 0x2;
pub const FEATURE_INCOMPAT_BIG_PCLUSTER: u32 = 0x2;
pub const FEATURE_INCOMPAT_CHUNKED_FILE: u32 = 0x4;
pub const FEATURE_INCOMPAT_DEVICE_TABLE: u32 = 0x8;
pub const FEATURE_INCOMPAT_COMPR_HEAD2: u32 = 0x8;
pub const FEATURE_INCOMPAT_ZTAILPACKING: u32 = 0x10;
pub const FEATURE_INCOMPAT_FRAGMENTS: u32 = 0x20;
pub const FEATURE_INCOMPAT_DEDUPE: u32 = 0x20;
pub const FEATURE_INCOMPAT_XATTR_PREFIXES: u32 = 0x40;
/// Every incompatible feature bit this reader implements.
pub const ALL_FEATURE_INCOMPAT: u32 = 0x7f;

/// Size of one device table slot.
pub const DEVT_SLOT_SIZE: u64 = 128;

/// Inode layouts (`i_format` bit 0).
pub const INODE_LAYOUT_COMPACT: u16 = 0;
pub const INODE_LAYOUT_EXTENDED: u16 = 1;
pub const INODE_COMPACT_SIZE: usize = 32;
pub const INODE_EXTENDED_SIZE: usize = 64;
/// All defined `i_format` bits.
pub const I_ALL: u16 = 0xf;
/// Inode slot size: nids count 32-byte slots.
pub const ISLOT_BITS: u32 = 5;

/// Data layouts (`i_format` bits 1..3).
pub const INODE_FLAT_PLAIN: u8 = 0;
pub const INODE_COMPRESSED_FULL: u8 = 1;
pub const INODE_FLAT_INLINE: u8 = 2;
pub const INODE_COMPRESSED_COMPACT: u8 = 3;
pub const INODE_CHUNK_BASED: u8 = 4;

pub const CHUNK_FORMAT_BLKBITS_MASK: u16 = 0x1f;
pub const CHUNK_FORMAT_INDEXES: u16 = 0x20;
pub const CHUNK_FORMAT_ALL: u16 = 0x3f;
/// A chunk that is a hole.
pub const NULL_ADDR: u32 = u32::MAX;
pub const BLOCK_MAP_ENTRY_SIZE: u64 = 4;
pub const CHUNK_INDEX_SIZE: u64 = 8;

/// Directory entry size.
pub const DIRENT_SIZE: usize = 12;
pub const NAME_LEN: usize = 255;

/// File types of `erofs_dirent.file_type` (the generic `FT_*` values).
pub const FT_UNKNOWN: u8 = 0;
pub const FT_REG_FILE: u8 = 1;
pub const FT_DIR: u8 = 2;
pub const FT_CHRDEV: u8 = 3;
pub const FT_BLKDEV: u8 = 4;
pub const FT_FIFO: u8 = 5;
pub const FT_SOCK: u8 = 6;
pub const FT_SYMLINK: u8 = 7;

/// Mode bits.
pub const S_IFMT: u16 = 0o170000;
pub const S_IFSOCK: u16 = 0o140000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFIFO: u16 = 0o010000;

/// Xattrs.
pub const XATTR_IBODY_HEADER_SIZE: u32 = 12;
pub const XATTR_ENTRY_SIZE: u32 = 4;
pub const XATTR_INDEX_USER: u8 = 1;
pub const XATTR_INDEX_POSIX_ACL_ACCESS: u8 = 2;
pub const XATTR_INDEX_POSIX_ACL_DEFAULT: u8 = 3;
pub const XATTR_INDEX_TRUSTED: u8 = 4;
pub const XATTR_INDEX_LUSTRE: u8 = 5;
pub const XATTR_INDEX_SECURITY: u8 = 6;
pub const XATTR_LONG_PREFIX: u8 = 0x80;
pub const XATTR_LONG_PREFIX_MASK: u8 = 0x7f;
pub const XATTR_FILTER_BITS: u32 = 32;
pub const XATTR_FILTER_SEED: u32 = 0x25BB_E08F;

/// Compression.
pub const COMPRESSION_LZ4: u8 = 0;
pub const COMPRESSION_LZMA: u8 = 1;
pub const COMPRESSION_DEFLATE: u8 = 2;
pub const COMPRESSION_ZSTD: u8 = 3;
pub const COMPRESSION_MAX: u8 = 4;
pub const PCLUSTER_MAX_SIZE: u32 = 1024 * 1024;
pub const PCLUSTER_MAX_DSIZE: u32 = 12 * 1024 * 1024;

/// `i_format` → layout version (0 compact, 1 extended).
pub const fn inode_version(ifmt: u16) -> u16 {
    ifmt & 1
}

/// `i_format` → data layout.
pub const fn inode_datalayout(ifmt: u16) -> u8 {
    ((ifmt >> 1) & 7) as u8
}

/// Bytes of inline xattrs for `i_xattr_icount`.
pub const fn xattr_ibody_size(icount: u16) -> u32 {
    if icount == 0 {
        0
    } else {
        XATTR_IBODY_HEADER_SIZE + 4 * (icount as u32 - 1)
    }
}
