// SPDX-License-Identifier: GPL-2.0

//! On-disk constants and record sizes (fs/erofs/erofs_fs.h).

/// Byte offset of the superblock.
pub const SUPER_OFFSET: u64 = 1024;
/// `erofs_super_block.magic`.
pub const SUPER_MAGIC_V1: u32 = 0xE0F5_E1E2;
/// Size of the superblock without extension slots.
pub const SUPER_BLOCK_SIZE: usize = 128;
/// Size of the largest superblock erofs-utils 1.9 writes (one extension
/// slot: `build_time`, `rootnid_8b`, `metabox_nid`).
pub const SUPER_BLOCK_MAX_SIZE: usize = 144;
/// Size of one superblock extension slot.
pub const SB_EXTSLOT_SIZE: usize = 16;

pub const FEATURE_COMPAT_SB_CHKSUM: u32 = 0x1;
pub const FEATURE_COMPAT_MTIME: u32 = 0x2;
pub const FEATURE_COMPAT_XATTR_FILTER: u32 = 0x4;
/// Shared xattrs live in the metabox.
pub const FEATURE_COMPAT_SHARED_EA_IN_METABOX: u32 = 0x8;
/// The long xattr name prefixes are in the metadata, not the packed inode.
pub const FEATURE_COMPAT_PLAIN_XATTR_PFX: u32 = 0x10;
/// Inodes carry a content fingerprint xattr (`ishare_xattr_prefix_id`).
pub const FEATURE_COMPAT_ISHARE_XATTRS: u32 = 0x20;

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
/// 48-bit block addresses, nids and counts; mtimes relative to an epoch.
pub const FEATURE_INCOMPAT_48BIT: u32 = 0x80;
/// Metadata in its own (possibly compressed) inode, the metabox.
pub const FEATURE_INCOMPAT_METABOX: u32 = 0x100;
/// Every incompatible feature bit this reader implements.
pub const ALL_FEATURE_INCOMPAT: u32 = 0x1ff;

/// Size of one device table slot.
pub const DEVT_SLOT_SIZE: u64 = 128;

/// Inode layouts (`i_format` bit 0).
pub const INODE_LAYOUT_COMPACT: u16 = 0;
pub const INODE_LAYOUT_EXTENDED: u16 = 1;
pub const INODE_COMPACT_SIZE: usize = 32;
pub const INODE_EXTENDED_SIZE: usize = 64;
/// `i_format` bit 4 of compact non-directory inodes: nlink is 1 and
/// `i_nb` holds the high bits of the start block or block count.
pub const I_NLINK_1_BIT: u16 = 4;
/// `i_format` bit 4 of directories: the `.` entry is not stored.
pub const I_DOT_OMITTED_BIT: u16 = 4;
/// All defined `i_format` bits.
pub const I_ALL: u16 = 0x1f;
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
/// Chunk indexes hold 48-bit block addresses (`startblk_hi`).
pub const CHUNK_FORMAT_48BIT: u16 = 0x40;
pub const CHUNK_FORMAT_ALL: u16 = 0x7f;
/// A chunk that is a hole (and the start block of a plain inode
/// without data): all ones in as many bits as the address has.
pub const NULL_ADDR: u32 = u32::MAX;
/// Block addresses of 48-bit images.
pub const BLKADDR_48BIT_MASK: u64 = (1 << 48) - 1;
pub const BLOCK_MAP_ENTRY_SIZE: u64 = 4;
pub const CHUNK_INDEX_SIZE: u64 = 8;

/// Directory entry size.
pub const DIRENT_SIZE: usize = 12;
/// A nid with this bit names an inode in the metabox.
pub const DIRENT_NID_METABOX_BIT: u32 = 63;
pub const DIRENT_NID_MASK: u64 = (1 << DIRENT_NID_METABOX_BIT) - 1;
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

// ---------------------------------------------------------------------
// The on-disk structures, field by field (the structs of erofs_fs.h).
//
// Each structure is a module with its `SIZE` and one constant per field:
// a little-endian integer type (`Le8`, `Le16`, `Le32`, `Le64`) holding
// the field's byte offset, whose `get` reads the field from the
// structure's bytes and fails (`Error::OutOfRange`) when they end before
// it. `FIELDS` names every integer field with its offset and width, for
// the tools that show or edit images (erofs-inspect, the mutator).
// ---------------------------------------------------------------------

use super::error::{Error, Result};

/// A field of an on-disk structure, for tools: name, byte offset, width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: &'static str,
    pub off: usize,
    pub width: usize,
}

macro_rules! le_type {
    ($(#[$m:meta])* $name:ident, $t:ty, $w:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub usize);

        impl $name {
            /// Width in bytes.
            pub const WIDTH: usize = $w;

            /// The field's value in `b`, the bytes of its structure.
            #[inline]
            pub fn get(self, b: &[u8]) -> Result<$t> {
                let end = self.0.checked_add($w).ok_or(Error::OutOfRange)?;
                let s = b.get(self.0..end).ok_or(Error::OutOfRange)?;
                let mut a = [0u8; $w];
                a.copy_from_slice(s);
                Ok(<$t>::from_le_bytes(a))
            }
        }
    };
}

le_type!(
    /// A `u8` field at this byte offset.
    Le8, u8, 1
);
le_type!(
    /// A `__le16` field at this byte offset.
    Le16, u16, 2
);
le_type!(
    /// A `__le32` field at this byte offset.
    Le32, u32, 4
);
le_type!(
    /// A `__le64` field at this byte offset.
    Le64, u64, 8
);

macro_rules! layout {
    ($(#[$m:meta])* $name:ident, size $size:expr, { $($(#[$fm:meta])* $field:ident: $ty:ident @ $off:expr),* $(,)? }) => {
        $(#[$m])*
        pub mod $name {
            #[allow(unused_imports)]
            use super::{FieldInfo, Le16, Le32, Le64, Le8};
            /// Size of the structure in bytes.
            pub const SIZE: usize = $size;
            $( $(#[$fm])* pub const $field: $ty = $ty($off); )*
            /// Every integer field: name, offset, width.
            pub const FIELDS: &[FieldInfo] = &[$(FieldInfo { name: stringify!($field), off: $off, width: $ty::WIDTH }),*];
        }
    };
}

layout!(
    /// `struct erofs_super_block`, at byte 1024 of the primary device;
    /// `sb_extslots` 16-byte extension slots may follow.
    sb, size 128, {
        MAGIC: Le32 @ 0,
        /// crc32c of the superblock block after this field.
        CHECKSUM: Le32 @ 4,
        FEATURE_COMPAT: Le32 @ 8,
        BLKSZBITS: Le8 @ 12,
        SB_EXTSLOTS: Le8 @ 13,
        /// `rootnid_2b`; with 48BIT and `rootnid_8b`, `blocks_hi`.
        ROOT_NID: Le16 @ 14,
        INOS: Le64 @ 16,
        /// Base seconds of compact inodes' mtimes (`build_time` before
        /// erofs-utils 1.9).
        EPOCH: Le64 @ 24,
        /// Nanoseconds of compact inodes' mtimes.
        FIXED_NSEC: Le32 @ 32,
        BLOCKS_LO: Le32 @ 36,
        META_BLKADDR: Le32 @ 40,
        XATTR_BLKADDR: Le32 @ 44,
        // uuid[16] at 48, volume_name[16] at 64.
        FEATURE_INCOMPAT: Le32 @ 80,
        /// `available_compr_algs` with COMPR_CFGS, else `lz4_max_distance`.
        U1: Le16 @ 84,
        EXTRA_DEVICES: Le16 @ 86,
        DEVT_SLOTOFF: Le16 @ 88,
        DIRBLKBITS: Le8 @ 90,
        XATTR_PREFIX_COUNT: Le8 @ 91,
        XATTR_PREFIX_START: Le32 @ 92,
        PACKED_NID: Le64 @ 96,
        XATTR_FILTER_RESERVED: Le8 @ 104,
        ISHARE_XATTR_PREFIX_ID: Le8 @ 105,
        /// Seconds after `EPOCH` the image was made.
        BUILD_TIME: Le32 @ 108,
        /// 48BIT: the root nid (0: `ROOT_NID` holds it).
        ROOTNID_8B: Le64 @ 112,
        /// METABOX: the nid of the metabox inode (needs an extension slot).
        METABOX_NID: Le64 @ 128,
    }
);

/// `erofs_super_block.uuid` and `.volume_name`: byte ranges.
pub const SB_UUID: core::ops::Range<usize> = 48..64;
pub const SB_VOLUME_NAME: core::ops::Range<usize> = 64..80;

layout!(
    /// `struct erofs_inode_compact`.
    inode_compact, size 32, {
        /// Layout version (bit 0) and data layout (bits 1-3).
        I_FORMAT: Le16 @ 0,
        I_XATTR_ICOUNT: Le16 @ 2,
        I_MODE: Le16 @ 4,
        /// `i_nb`: nlink, or with I_NLINK_1 the high 16 bits of the start
        /// block or block count.
        I_NB: Le16 @ 6,
        I_SIZE: Le32 @ 8,
        /// Seconds after the superblock's epoch.
        I_MTIME: Le32 @ 12,
        /// Raw block address, compressed block count, rdev or chunk info.
        I_U: Le32 @ 16,
        I_INO: Le32 @ 20,
        I_UID: Le16 @ 24,
        I_GID: Le16 @ 26,
    }
);

layout!(
    /// `struct erofs_inode_extended`.
    inode_extended, size 64, {
        I_FORMAT: Le16 @ 0,
        I_XATTR_ICOUNT: Le16 @ 2,
        I_MODE: Le16 @ 4,
        /// `i_nb`: the high 16 bits of the start block or block count.
        I_NB: Le16 @ 6,
        I_SIZE: Le64 @ 8,
        I_U: Le32 @ 16,
        I_INO: Le32 @ 20,
        I_UID: Le32 @ 24,
        I_GID: Le32 @ 28,
        I_MTIME: Le64 @ 32,
        I_MTIME_NSEC: Le32 @ 40,
        I_NLINK: Le32 @ 44,
    }
);

layout!(
    /// `struct erofs_dirent`: a directory block starts with these, the
    /// names follow; the first `nameoff` / 12 is the entry count.
    dirent, size 12, {
        NID: Le64 @ 0,
        /// Offset of the name in the block.
        NAMEOFF: Le16 @ 8,
        FILE_TYPE: Le8 @ 10,
    }
);

layout!(
    /// `struct erofs_xattr_ibody_header`, then `h_shared_count` __le32
    /// shared xattr ids.
    xattr_ibody_header, size 12, {
        H_NAME_FILTER: Le32 @ 0,
        H_SHARED_COUNT: Le8 @ 4,
    }
);

layout!(
    /// `struct erofs_xattr_entry`, then the name suffix and the value.
    xattr_entry, size 4, {
        E_NAME_LEN: Le8 @ 0,
        E_NAME_INDEX: Le8 @ 1,
        E_VALUE_SIZE: Le16 @ 2,
    }
);

layout!(
    /// `struct erofs_xattr_long_prefix`, then the infix.
    xattr_long_prefix, size 1, {
        BASE_INDEX: Le8 @ 0,
    }
);

layout!(
    /// `struct erofs_deviceslot`: tag[64] at 0, then the sizes.
    deviceslot, size 128, {
        BLOCKS_LO: Le32 @ 64,
        /// Where the device starts in the unified address space.
        UNIADDR_LO: Le32 @ 68,
        BLOCKS_HI: Le16 @ 72,
        UNIADDR_HI: Le16 @ 74,
    }
);

layout!(
    /// `struct erofs_inode_chunk_index`.
    chunk_index, size 8, {
        STARTBLK_HI: Le16 @ 0,
        DEVICE_ID: Le16 @ 2,
        STARTBLK_LO: Le32 @ 4,
    }
);

layout!(
    /// A block map entry of chunk-based inodes without indexes.
    block_map_entry, size 4, {
        BLKADDR: Le32 @ 0,
    }
);

layout!(
    /// `struct z_erofs_map_header`, at ALIGN(inode + xattrs, 8) of a
    /// compressed inode.
    z_map_header, size 8, {
        /// With a whole-file fragment: its offset in the packed inode.
        H_FRAGMENTOFF: Le32 @ 0,
        /// Else: the size of the ztailpacking inline data.
        H_IDATA_SIZE: Le16 @ 2,
        H_ADVISE: Le16 @ 4,
        /// HEAD1 algorithm (bits 0-3) and HEAD2 algorithm (bits 4-7).
        H_ALGORITHMTYPE: Le8 @ 6,
        /// Logical cluster bits - block size bits (bits 0-3), and flags.
        H_CLUSTERBITS: Le8 @ 7,
    }
);

layout!(
    /// `struct z_erofs_map_header` of a COMPRESSED_FULL inode with
    /// ADVISE_EXTENTS: the extent count replaces the other fields.
    z_map_header_extents, size 8, {
        H_EXTENTS_LO: Le32 @ 0,
        H_ADVISE: Le16 @ 4,
        H_EXTENTS_HI: Le16 @ 6,
    }
);

layout!(
    /// `struct z_erofs_extent` (encoded extents); an inode stores the
    /// first 4, 8, 16 or 32 bytes of each record (ADVISE_EXTRECSZ).
    z_extent, size 32, {
        /// Encoded length, with the algorithm + 1 in bits 28.. (0: plain)
        /// and PLEN_PARTIAL.
        PLEN: Le32 @ 0,
        PSTART_LO: Le32 @ 4,
        PSTART_HI: Le32 @ 8,
        LSTART_LO: Le32 @ 12,
        LSTART_HI: Le32 @ 16,
    }
);

layout!(
    /// `struct z_erofs_lcluster_index` (full indexes).
    z_lcluster_index, size 8, {
        DI_ADVISE: Le16 @ 0,
        DI_CLUSTEROFS: Le16 @ 2,
        /// HEAD/PLAIN: the pcluster's block address.
        DI_BLKADDR: Le32 @ 4,
        /// NONHEAD: distances to the head (0) and the next head (1).
        DI_DELTA0: Le16 @ 4,
        DI_DELTA1: Le16 @ 6,
    }
);

layout!(
    /// `struct z_erofs_lz4_cfgs`, a compression config record.
    lz4_cfgs, size 14, {
        MAX_DISTANCE: Le16 @ 0,
        MAX_PCLUSTERBLKS: Le16 @ 2,
    }
);

layout!(
    /// `struct z_erofs_lzma_cfgs`.
    lzma_cfgs, size 14, {
        DICT_SIZE: Le32 @ 0,
        FORMAT: Le16 @ 4,
    }
);

layout!(
    /// `struct z_erofs_deflate_cfgs`.
    deflate_cfgs, size 6, {
        WINDOWBITS: Le8 @ 0,
    }
);

layout!(
    /// `struct z_erofs_zstd_cfgs`.
    zstd_cfgs, size 6, {
        FORMAT: Le8 @ 0,
        WINDOWLOG: Le8 @ 1,
    }
);

layout!(
    /// The header of a POSIX ACL xattr value (`posix_acl_xattr_header`).
    acl_header, size 4, {
        VERSION: Le32 @ 0,
    }
);

layout!(
    /// One entry of a POSIX ACL xattr value (`posix_acl_xattr_entry`).
    acl_entry, size 8, {
        E_TAG: Le16 @ 0,
        E_PERM: Le16 @ 2,
        E_ID: Le32 @ 4,
    }
);
