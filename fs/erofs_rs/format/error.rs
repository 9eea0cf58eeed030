// SPDX-License-Identifier: GPL-2.0

//! Every way reading an image can fail.

use core::fmt;

/// An error reading an image. Everything except [`Error::Io`] and the
/// `Unsupported*` kinds means the image is corrupt (`EFSCORRUPTED` in the
/// kernel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The backing storage failed to deliver bytes.
    Io,
    /// A read or an address computed from the image falls outside the device.
    OutOfRange,
    /// No EROFS magic at byte 1024.
    BadMagic(u32),
    /// The superblock checksum does not match.
    BadChecksum { stored: u32, computed: u32 },
    /// Block size outside 512..=4096 (`blkszbits` 9..12).
    UnsupportedBlockSize(u8),
    /// A directory block size other than the block size.
    UnsupportedDirBlockSize(u8),
    /// Incompatible feature bits we do not implement.
    UnsupportedIncompat(u32),
    /// The superblock with its extension slots is larger than a block.
    BadExtSlots(u8),
    /// The volume name has no NUL terminator.
    BadVolumeName,
    /// Device table count or slot offset is impossible.
    BadDeviceTable,
    /// A device id beyond the device table.
    BadDeviceId(u16),
    /// The compression configurations after the superblock are malformed.
    BadCompressionConfig,
    /// `ishare_xattr_prefix_id` names no long xattr prefix.
    BadIshareXattrPrefix(u8),
    /// The metabox nid is missing from the superblock or in the metabox.
    BadMetabox,
    /// An inode number points outside the metadata area.
    BadNid(u64),
    /// An inode's `i_format` has bits we do not know.
    UnsupportedInodeFormat(u16),
    /// An inode's data layout is not one of the five defined ones.
    UnsupportedDataLayout(u8),
    /// The file type bits of `i_mode` are not a valid type.
    BadMode(u16),
    /// An inode size that cannot be (negative, or too large for its layout).
    BadSize,
    /// A chunk format with unknown bits or an impossible chunk size.
    BadChunkFormat(u16),
    /// Inline (tail) data does not fit in its metadata block.
    BadInlineData,
    /// A block address (or range) beyond the device.
    BadBlockAddress(u64),
    /// A directory block with impossible dirents or names.
    BadDirent,
    /// A directory where a regular file was expected, or the like.
    WrongFileType,
    /// An xattr area with impossible sizes or entries.
    BadXattr,
    /// An xattr that is not there (ENODATA).
    NoXattr,
    /// The caller's buffer is too small (ERANGE).
    BufferTooSmall,
    /// A POSIX ACL xattr value that does not decode.
    BadAcl,
    /// A path component that does not exist (ENOENT).
    NotFound,
    /// A path component that is not a directory (ENOTDIR).
    NotDir,
    /// The compressed layout is corrupt (map header, indexes, pclusters).
    BadCompressedLayout,
    /// A compression algorithm the image may not use or we do not know.
    UnsupportedAlgorithm(u8),
    /// Compressed data does not decode to what its extent promises.
    BadCompressedData,
    /// The requested feature is valid but not implemented by this reader.
    Unsupported(&'static str),
    /// The reader could not allocate memory for the request (ENOMEM).
    NoMemory,
}

/// Result of reading an image.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// True when the error means the image itself is wrong (as opposed to
    /// an I/O error, a missing name or a feature we do not implement).
    pub fn is_corruption(&self) -> bool {
        !matches!(
            self,
            Error::Io
                | Error::UnsupportedBlockSize(_)
                | Error::UnsupportedDirBlockSize(_)
                | Error::UnsupportedIncompat(_)
                | Error::UnsupportedInodeFormat(_)
                | Error::UnsupportedDataLayout(_)
                | Error::UnsupportedAlgorithm(_)
                | Error::Unsupported(_)
                | Error::NoMemory
                | Error::NoXattr
                | Error::BufferTooSmall
                | Error::NotFound
                | Error::NotDir
                | Error::WrongFileType
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Io => write!(f, "I/O error"),
            Error::OutOfRange => write!(f, "address out of range"),
            Error::BadMagic(m) => write!(f, "cannot find valid erofs superblock (magic {m:#010x})"),
            Error::BadChecksum { stored, computed } => {
                write!(f, "invalid checksum {computed:#010x}, {stored:#010x} expected")
            }
            Error::UnsupportedBlockSize(b) => write!(f, "blkszbits {b} isn't supported"),
            Error::UnsupportedDirBlockSize(b) => write!(f, "dirblkbits {b} isn't supported"),
            Error::UnsupportedIncompat(x) => {
                write!(f, "unidentified incompatible feature {x:#x}")
            }
            Error::BadExtSlots(n) => write!(f, "invalid sb_extslots {n}"),
            Error::BadVolumeName => write!(f, "bad volume name without NIL terminator"),
            Error::BadDeviceTable => write!(f, "corrupted device table"),
            Error::BadDeviceId(d) => write!(f, "invalid device id {d}"),
            Error::BadCompressionConfig => write!(f, "corrupted compression configurations"),
            Error::BadIshareXattrPrefix(id) => write!(f, "invalid ishare xattr prefix id {id}"),
            Error::BadMetabox => write!(f, "invalid metabox nid"),
            Error::BadNid(n) => write!(f, "invalid nid {n}"),
            Error::UnsupportedInodeFormat(x) => write!(f, "unsupported i_format {x:#x}"),
            Error::UnsupportedDataLayout(x) => write!(f, "unsupported datalayout {x}"),
            Error::BadMode(m) => write!(f, "bogus i_mode ({m:o})"),
            Error::BadSize => write!(f, "bogus inode size"),
            Error::BadChunkFormat(x) => write!(f, "unsupported chunk format {x:#x}"),
            Error::BadInlineData => write!(f, "inline data crosses the block boundary"),
            Error::BadBlockAddress(b) => write!(f, "block address {b} out of range"),
            Error::BadDirent => write!(f, "corrupted directory block"),
            Error::WrongFileType => write!(f, "wrong file type"),
            Error::BadXattr => write!(f, "corrupted xattrs"),
            Error::NoXattr => write!(f, "no such xattr"),
            Error::BufferTooSmall => write!(f, "buffer too small"),
            Error::BadAcl => write!(f, "corrupted POSIX ACL"),
            Error::NotFound => write!(f, "no such file or directory"),
            Error::NotDir => write!(f, "not a directory"),
            Error::BadCompressedLayout => write!(f, "corrupted compressed index"),
            Error::UnsupportedAlgorithm(a) => write!(f, "unsupported compression algorithm {a}"),
            Error::BadCompressedData => write!(f, "corrupted compressed data"),
            Error::Unsupported(what) => write!(f, "{what} is not supported"),
            Error::NoMemory => write!(f, "out of memory"),
        }
    }
}
