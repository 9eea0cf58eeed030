//! Where the on-disk structures of an intact image lie, so the mutator can
//! edit their fields (an inode's size, a dirent's nameoff, a compressed
//! index's block address) instead of only flipping bytes blindly: a
//! corruption that keeps the rest of a structure intact gets past the
//! first sanity checks and reaches the code behind them.

use crate::image::Image;
use erofs_format::data::{map_blocks, Mapping};
use erofs_format::erofs_fs::{CHUNK_FORMAT_INDEXES, CHUNK_INDEX_SIZE, INODE_CHUNK_BASED};
use erofs_format::erofs_fs::{INODE_FLAT_INLINE, INODE_FLAT_PLAIN};
use erofs_format::inode::Inode;
use erofs_format::METABOX;

/// Where the metabox's data starts in the image, when it is stored flat
/// (uncompressed and not chunked).
fn metabox_base(img: &Image) -> Option<u64> {
    let mb = img.inode(img.sb.metabox_nid).ok()?;
    if mb.datalayout != INODE_FLAT_PLAIN && mb.datalayout != INODE_FLAT_INLINE {
        return None;
    }
    img.sb.block_offset(mb.startblk()?).ok()
}

/// What a region of the image holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An on-disk inode (compact if 32 bytes long, extended if 64).
    Inode,
    /// An inode's inline xattr area: the 12-byte header, shared xattr ids
    /// and entries.
    XattrBody,
    /// One directory block of an uncompressed directory: the dirent table
    /// then the names.
    DirBlock,
    /// A compressed inode's map header and lcluster indexes.
    ZIndexes,
    /// A chunk-based inode's block map or chunk indexes.
    ChunkIndexes,
}

#[derive(Debug, Clone, Copy)]
pub struct Region {
    pub kind: Kind,
    pub off: u64,
    pub len: u64,
}

/// The structures found by walking an intact image.
#[derive(Debug, Default, Clone)]
pub struct Layout {
    pub regions: Vec<Region>,
    /// Every nid met, for dirents pointed at other inodes.
    pub nids: Vec<u64>,
}

/// Bounds the walk of big images: the seeds are small, and a mutation
/// needs a sample of structures, not all of them.
const MAX_INODES: usize = 4096;
/// Index bytes of one compressed or chunked inode worth editing.
const MAX_INDEX_BYTES: u64 = 512;

impl Layout {
    /// Maps the structures of `bytes`; an image the format core cannot
    /// walk (already corrupt) gives what was found before the error.
    pub fn of(bytes: &[u8]) -> Layout {
        let mut layout = Layout::default();
        let Ok(img) = Image::from_bytes(bytes.to_vec()) else { return layout };
        // The inodes outside the tree first: the metabox (whose indexes
        // locate all metabox metadata) and the packed inode.
        let special = [img.sb.has_metabox().then_some(img.sb.metabox_nid), img.sb.packed_inode()];
        for nid in special.into_iter().flatten() {
            if let Ok(ino) = img.inode(nid) {
                layout.add_inode(&img, &ino);
            }
        }
        let _ = crate::walk(&img, &mut |_, _, ino| {
            if layout.nids.len() < MAX_INODES {
                layout.add_inode(&img, ino);
            }
            Ok(())
        });
        layout
    }

    /// The kinds of structure found, each once, in a fixed order.
    pub fn kinds(&self) -> Vec<Kind> {
        let mut kinds: Vec<Kind> = Vec::new();
        for r in &self.regions {
            if !kinds.contains(&r.kind) {
                kinds.push(r.kind);
            }
        }
        kinds
    }

    fn add_inode(&mut self, img: &Image, ino: &Inode) {
        self.nids.push(ino.nid);
        // The metadata of a metabox inode is in the metabox's data: at a
        // fixed distance in the image when that is stored flat, else
        // (compressed) not editable in place.
        let base = if ino.meta_dev == METABOX {
            let Some(base) = metabox_base(img) else { return };
            base
        } else {
            0
        };
        let mut push = |kind, off: u64, len: u64| {
            if len > 0 {
                self.regions.push(Region { kind, off: base + off, len });
            }
        };
        let iloc = ino.iloc(&img.sb).unwrap_or(0);
        push(Kind::Inode, iloc, ino.inode_isize as u64);
        let body = iloc + ino.inode_isize as u64;
        push(Kind::XattrBody, body, ino.xattr_isize as u64);
        let tail = body + ino.xattr_isize as u64;
        if ino.is_compressed() {
            // The map header sits at the next 8-byte boundary, then the
            // indexes (compact ones are 4-byte aligned, full ones 8).
            let header = (tail + 7) & !7;
            push(Kind::ZIndexes, header, 8 + MAX_INDEX_BYTES.min(ino.data_blocks(&img.sb) * 8));
        } else if ino.datalayout == INODE_CHUNK_BASED {
            let (start, unit) = if ino.chunkformat & CHUNK_FORMAT_INDEXES != 0 { ((tail + 7) & !7, CHUNK_INDEX_SIZE) } else { (tail, 4) };
            let chunks = ino.size.div_ceil(1u64 << ino.chunkbits.min(63)).max(1);
            push(Kind::ChunkIndexes, start, MAX_INDEX_BYTES.min(chunks * unit));
        } else if ino.is_dir() {
            let blksz = img.sb.block_size() as u64;
            let mut la = 0;
            while la < ino.size && self.regions.len() < MAX_INODES * 4 {
                let Ok(ext) = map_blocks(&img.src, &img.sb, ino, la) else { break };
                let pa = match ext.map {
                    Mapping::Mapped { device_id: 0, pa } => pa,
                    Mapping::Inline { dev: 0, pa } => pa,
                    Mapping::Inline { dev: METABOX, pa } => base + pa,
                    _ => break,
                };
                let len = blksz.min(ino.size - la);
                self.regions.push(Region { kind: Kind::DirBlock, off: pa, len });
                la += blksz;
            }
        }
    }
}
