// SPDX-License-Identifier: GPL-2.0

//! Compressed-file block mapping (fs/erofs/zmap.c): the map header, full
//! and compact lcluster indexes, HEAD1/HEAD2/PLAIN/NONHEAD lclusters, big
//! pclusters, ztailpacking (inline pcluster), fragments in the packed
//! inode, partially referenced (deduplicated) pclusters, and interlaced
//! or shifted plain pclusters. The result is a [`ZExtent`]: a logical
//! range of the file and where and how its bytes are stored.

use super::erofs_fs::*;
use super::inode::InodeLayout;
use super::le::le32_bits;
use super::super_block::SuperBlock;
use super::{read_exact, Error, Result, Source};

pub const ADVISE_COMPACTED_2B: u16 = 0x0001;
/// COMPRESSED_FULL inodes: encoded extents instead of lcluster indexes.
pub const ADVISE_EXTENTS: u16 = 0x0001;
pub const ADVISE_BIG_PCLUSTER_1: u16 = 0x0002;
pub const ADVISE_BIG_PCLUSTER_2: u16 = 0x0004;
pub const ADVISE_INLINE_PCLUSTER: u16 = 0x0008;
pub const ADVISE_INTERLACED_PCLUSTER: u16 = 0x0010;
pub const ADVISE_FRAGMENT_PCLUSTER: u16 = 0x0020;

const LCLUSTER_TYPE_PLAIN: u8 = 0;
const LCLUSTER_TYPE_HEAD1: u8 = 1;
const LCLUSTER_TYPE_NONHEAD: u8 = 2;
const LCLUSTER_TYPE_HEAD2: u8 = 3;
const LI_PARTIAL_REF: u16 = 1 << 15;
/// (Full indexes, HEAD) the pcluster is a hole (7.x).
const LI_HOLE: u16 = 1 << 14;
const LI_D0_CBLKCNT: u16 = 1 << 11;
const FRAGMENT_INODE_BIT: u8 = 7;

/// The per-inode compression settings from the map header, plus what
/// locating the tail extent found (z_erofs_fill_inode_lazy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZInfo {
    pub advise: u16,
    pub lclusterbits: u8,
    /// Algorithms of HEAD1 and HEAD2 lclusters.
    pub algorithm: [u8; 2],
    /// Offset of the tail fragment in the packed inode, or of the inline
    /// pcluster on the primary device (ztailpacking).
    pub fragment_off: u64,
    /// Size of the inline (tail-packed) pcluster, 0 if none.
    pub idata_size: u16,
    /// The lcluster where the tail extent (inline or fragment) starts.
    pub tail_headlcn: u64,
    /// With encoded extents (ADVISE_EXTENTS of a full-index inode): how
    /// many records there are (see [`ZInfo::extents`]).
    extent_count: u64,
    has_extents: bool,
}

/// How an extent's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZKind {
    /// A compressed pcluster: algorithm, and whether its decompressed
    /// data may be longer than the extent (partial decoding).
    Compressed { algorithm: u8 },
    /// Stored as is, byte 0 of the extent at byte 0 of the pcluster.
    Shifted,
    /// Stored as is but rotated within its block by the extent's start
    /// offset in the block: byte i at `(i + la % blksz) % blksz`.
    Interlaced,
    /// In the packed inode, at this byte offset of its data.
    Fragment { offset: u64 },
    /// Not stored: reads as zeros (a hole pcluster or extent, 7.x).
    Hole,
}

/// One mapped extent of a compressed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZExtent {
    /// Logical start (the start of the pcluster's data in the file).
    pub la: u64,
    /// Logical length. With `full`, up to the next pcluster (or EOF);
    /// otherwise up to the end of the lcluster that held the request, as
    /// the C driver maps for reads.
    pub llen: u64,
    pub kind: ZKind,
    /// Physical start on the primary device (unused for fragments).
    pub pa: u64,
    /// Physical length (bytes of compressed data, a whole number of blocks
    /// except for inline pclusters).
    pub plen: u64,
    /// The pcluster is inline in the metadata block (ztailpacking).
    pub inline: bool,
    /// The device of an inline pcluster: its inode's metadata device.
    pub inline_dev: u16,
    /// The extent uses only a prefix of the pcluster's decompressed data
    /// (dedupe); always decode partially.
    pub partial_ref: bool,
}

/// Index-walking state (z_erofs_maprecorder).
#[derive(Default)]
struct Rec {
    lcn: u64,
    ltype: u8,
    headtype: u8,
    clusterofs: u32,
    delta: [u32; 2],
    pblk: u32,
    compressedblks: u32,
    nextpackoff: u64,
    partialref: bool,
    /// A HEAD lcluster marked as a hole (LI_HOLE).
    hole: bool,
}

/// The map header offset: 8-aligned right after inode and xattrs.
fn header_pos(sb: &SuperBlock, inode: &InodeLayout) -> Result<u64> {
    let end = inode.tail_offset(sb)?;
    end.checked_add(7).map(|p| p & !7).ok_or(Error::BadCompressedLayout)
}

impl ZInfo {
    /// With encoded extents: how many records there are.
    pub fn extents(&self) -> Option<u64> {
        self.has_extents.then_some(self.extent_count)
    }

    /// Reads the map header of a compressed inode and locates its tail
    /// extent when it is inline or a fragment.
    pub fn read<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout) -> Result<Self> {
        if !inode.is_compressed() {
            return Err(Error::WrongFileType);
        }
        let pos = header_pos(sb, inode)?;
        let mut h = [0u8; 8];
        read_exact(src, inode.meta_dev, pos, sb.block_size(), &mut h)?;
        if h[7] >> FRAGMENT_INODE_BIT != 0 {
            // The whole file lives in the packed inode.
            return Ok(ZInfo {
                advise: ADVISE_FRAGMENT_PCLUSTER,
                lclusterbits: sb.blkszbits,
                algorithm: [0, 0],
                fragment_off: u64::from_le_bytes(h) ^ (1 << 63),
                idata_size: 0,
                tail_headlcn: 0,
                extent_count: 0,
                has_extents: false,
            });
        }
        let mut zi = ZInfo {
            advise: z_map_header::H_ADVISE.get(&h)?,
            lclusterbits: sb.blkszbits + (z_map_header::H_CLUSTERBITS.get(&h)? & 15),
            algorithm: [z_map_header::H_ALGORITHMTYPE.get(&h)? & 15, z_map_header::H_ALGORITHMTYPE.get(&h)? >> 4],
            fragment_off: 0,
            idata_size: 0,
            tail_headlcn: 0,
            extent_count: 0,
            has_extents: false,
        };
        if inode.datalayout == INODE_COMPRESSED_FULL && zi.advise & ADVISE_EXTENTS != 0 {
            // The count takes the place of the other header fields; the
            // records carry their algorithms.
            let count = z_map_header_extents::H_EXTENTS_LO.get(&h)? as u64 | (z_map_header_extents::H_EXTENTS_HI.get(&h)? as u64) << 32;
            zi.algorithm = [0, 0];
            zi.extent_count = count;
            zi.has_extents = true;
            return Ok(zi);
        }
        if zi.advise & ADVISE_FRAGMENT_PCLUSTER != 0 {
            zi.fragment_off = z_map_header::H_FRAGMENTOFF.get(&h)? as u64;
        } else if zi.advise & ADVISE_INLINE_PCLUSTER != 0 {
            zi.idata_size = z_map_header::H_IDATA_SIZE.get(&h)?;
        }
        for alg in zi.algorithm {
            if alg >= COMPRESSION_MAX {
                return Err(Error::UnsupportedAlgorithm(alg));
            }
        }
        let big = zi.advise & (ADVISE_BIG_PCLUSTER_1 | ADVISE_BIG_PCLUSTER_2);
        if !sb.has_big_pcluster() && big != 0 {
            return Err(Error::BadCompressedLayout);
        }
        if inode.datalayout == INODE_COMPRESSED_COMPACT
            && (zi.advise & ADVISE_BIG_PCLUSTER_1 == 0) != (zi.advise & ADVISE_BIG_PCLUSTER_2 == 0)
        {
            return Err(Error::BadCompressedLayout);
        }
        // lcluster sizes the indexes can describe.
        if zi.lclusterbits > 30 {
            return Err(Error::BadCompressedLayout);
        }
        if zi.idata_size != 0 || zi.advise & ADVISE_FRAGMENT_PCLUSTER != 0 {
            if inode.size == 0 {
                return Err(Error::BadCompressedLayout);
            }
            // Find the tail extent: where its indexes end is where the
            // inline pcluster starts.
            let (m, _, packend) = do_map(src, sb, inode, &zi, inode.size - 1)?;
            if zi.idata_size != 0 {
                zi.fragment_off = packend;
            }
            zi.tail_headlcn = m.lcn;
            if zi.advise & ADVISE_FRAGMENT_PCLUSTER != 0 && inode.datalayout == INODE_COMPRESSED_FULL {
                zi.fragment_off |= (m.pblk as u64) << 32;
            }
        }
        Ok(zi)
    }

    /// True when the whole file is a fragment in the packed inode.
    pub fn whole_file_fragment(&self) -> bool {
        self.advise & ADVISE_FRAGMENT_PCLUSTER != 0 && self.tail_headlcn == 0 && !self.has_extents
    }
}

fn load_full(src: &(impl Source + ?Sized), sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, m: &mut Rec, lcn: u64) -> Result<()> {
    let pos = lcn.checked_mul(8).and_then(|o| o.checked_add(header_pos(sb, inode).ok()? + 16)).ok_or(Error::BadCompressedLayout)?;
    let mut di = [0u8; 8];
    read_exact(src, inode.meta_dev, pos, sb.block_size(), &mut di)?;
    m.lcn = lcn;
    m.nextpackoff = pos + 8;
    let advise = z_lcluster_index::DI_ADVISE.get(&di)?;
    m.ltype = (advise & 3) as u8;
    if m.ltype == LCLUSTER_TYPE_NONHEAD {
        m.clusterofs = 1 << zi.lclusterbits;
        let d0 = z_lcluster_index::DI_DELTA0.get(&di)?;
        m.delta[0] = d0 as u32;
        if d0 & LI_D0_CBLKCNT != 0 {
            if zi.advise & (ADVISE_BIG_PCLUSTER_1 | ADVISE_BIG_PCLUSTER_2) == 0 {
                return Err(Error::BadCompressedLayout);
            }
            m.compressedblks = (d0 & !LI_D0_CBLKCNT) as u32;
            m.delta[0] = 1;
        }
        m.delta[1] = z_lcluster_index::DI_DELTA1.get(&di)? as u32;
    } else {
        m.partialref = advise & LI_PARTIAL_REF != 0;
        m.clusterofs = z_lcluster_index::DI_CLUSTEROFS.get(&di)? as u32;
        m.hole = advise & LI_HOLE != 0;
        m.pblk = if m.hole { NULL_ADDR } else { z_lcluster_index::DI_BLKADDR.get(&di)? };
    }
    Ok(())
}

/// `lobits`-bit value and 2-bit type of item `i` of a compact pack.
fn decode_bits(pack: &[u8], lobits: u32, bitpos: u32) -> (u32, u8) {
    let v = le32_bits(pack, (bitpos / 8) as usize) >> (bitpos & 7);
    (v & ((1 << lobits) - 1), ((v >> lobits) & 3) as u8)
}

fn la_distance(pack: &[u8], lobits: u32, encodebits: u32, vcnt: u32, mut i: u32) -> u32 {
    let mut d1 = 0;
    let mut lo = 0;
    while i < vcnt {
        let (l, t) = decode_bits(pack, lobits, encodebits * i);
        lo = l;
        if t != LCLUSTER_TYPE_NONHEAD {
            return d1;
        }
        d1 += 1;
        i += 1;
    }
    // The last NONHEAD item of a pack keeps delta[1] itself.
    if lo & LI_D0_CBLKCNT as u32 == 0 {
        d1 += lo.saturating_sub(1);
    }
    d1
}

fn load_compact(
    src: &(impl Source + ?Sized),
    sb: &SuperBlock,
    inode: &InodeLayout,
    zi: &ZInfo,
    m: &mut Rec,
    lcn: u64,
    lookahead: bool,
) -> Result<()> {
    let ebase = header_pos(sb, inode)? + 8;
    let lclusterbits = zi.lclusterbits as u32;
    let totalidx = inode.data_blocks(sb);
    let big = zi.advise & ADVISE_BIG_PCLUSTER_1 != 0;
    if lcn >= totalidx || lclusterbits > 14 {
        return Err(Error::BadCompressedLayout);
    }
    m.lcn = lcn;
    // 4-byte packs up to the first 32-byte boundary, then 2-byte packs
    // (when enabled) in groups of 16, then 4-byte packs again.
    let initial_4b = ((32 - ebase % 32) / 4) & 7;
    let compacted_2b = if zi.advise & ADVISE_COMPACTED_2B != 0 && initial_4b < totalidx { (totalidx - initial_4b) / 16 * 16 } else { 0 };
    let mut pos = ebase;
    let mut rel = lcn;
    let mut amortizedshift = 2u32;
    if rel >= initial_4b {
        pos += initial_4b * 4;
        rel -= initial_4b;
        if rel < compacted_2b {
            amortizedshift = 1;
        } else {
            pos += compacted_2b * 2;
            rel -= compacted_2b;
        }
    }
    pos = rel.checked_mul(1 << amortizedshift).and_then(|o| o.checked_add(pos)).ok_or(Error::BadCompressedLayout)?;
    let vcnt: u32 = if amortizedshift == 2 {
        2
    } else if lclusterbits <= 12 {
        16
    } else {
        return Err(Error::Unsupported("2-byte compact indexes with lclusters over 4 KiB"));
    };
    let packsize = (vcnt << amortizedshift) as u64;
    let packstart = pos / packsize * packsize;
    let mut pack = [0u8; 32];
    let pack = pack.get_mut(..packsize as usize).ok_or(Error::BadCompressedLayout)?;
    read_exact(src, inode.meta_dev, packstart, sb.block_size(), pack)?;
    m.nextpackoff = packstart + packsize;
    let lobits = lclusterbits.max(12); // ilog2(D0_CBLKCNT) + 1
    let encodebits = ((packsize as u32 - 4) * 8) / vcnt;
    let mut i = ((pos - packstart) >> amortizedshift) as i64;
    let (lo, t) = decode_bits(pack, lobits, encodebits * i as u32);
    m.ltype = t;
    if t == LCLUSTER_TYPE_NONHEAD {
        m.clusterofs = 1 << lclusterbits;
        if lookahead {
            m.delta[1] = la_distance(pack, lobits, encodebits, vcnt, i as u32);
        }
        if lo & LI_D0_CBLKCNT as u32 != 0 {
            if !big {
                return Err(Error::BadCompressedLayout);
            }
            m.compressedblks = lo & !(LI_D0_CBLKCNT as u32);
            m.delta[0] = 1;
            return Ok(());
        } else if i + 1 != vcnt as i64 {
            m.delta[0] = lo;
            return Ok(());
        }
        // The last item of a pack stores delta[1]; derive delta[0] from
        // the item before it.
        let (plo, pt) = if i >= 1 { decode_bits(pack, lobits, encodebits * (i as u32 - 1)) } else { (0, 0) };
        let lo = if i < 1 || pt != LCLUSTER_TYPE_NONHEAD {
            0
        } else if plo & LI_D0_CBLKCNT as u32 != 0 {
            1
        } else {
            plo
        };
        m.delta[0] = lo + 1;
        return Ok(());
    }
    m.clusterofs = lo;
    m.delta[0] = 0;
    // The pack stores the start block of its first pcluster; count the
    // blocks of the pclusters before item i.
    let mut nblk: u64 = 0;
    if !big {
        nblk = 1;
        while i > 0 {
            i -= 1;
            let (lo, t) = decode_bits(pack, lobits, encodebits * i as u32);
            if t == LCLUSTER_TYPE_NONHEAD {
                i -= lo as i64;
            }
            if i >= 0 {
                nblk += 1;
            }
        }
    } else {
        while i > 0 {
            i -= 1;
            let (lo, t) = decode_bits(pack, lobits, encodebits * i as u32);
            if t == LCLUSTER_TYPE_NONHEAD {
                if lo & LI_D0_CBLKCNT as u32 != 0 {
                    i -= 1;
                    nblk += (lo & !(LI_D0_CBLKCNT as u32)) as u64;
                    continue;
                }
                // Big pclusters never have a plain delta[0] of 1.
                if lo <= 1 {
                    return Err(Error::BadCompressedLayout);
                }
                i -= lo as i64 - 2;
                continue;
            }
            nblk += 1;
        }
    }
    // The pack ends with the block address of its first head.
    let base = Le32(packsize as usize - 4).get(pack).map_err(|_| Error::BadCompressedLayout)? as u64;
    m.pblk = u32::try_from(base + nblk).map_err(|_| Error::BadCompressedLayout)?;
    Ok(())
}

fn load(
    src: &(impl Source + ?Sized),
    sb: &SuperBlock,
    inode: &InodeLayout,
    zi: &ZInfo,
    m: &mut Rec,
    lcn: u64,
    lookahead: bool,
) -> Result<()> {
    if inode.datalayout == INODE_COMPRESSED_COMPACT {
        load_compact(src, sb, inode, zi, m, lcn, lookahead)?;
    } else {
        load_full(src, sb, inode, zi, m, lcn)?;
    }
    if m.ltype != LCLUSTER_TYPE_NONHEAD && m.clusterofs >= 1 << zi.lclusterbits {
        return Err(Error::BadCompressedLayout);
    }
    Ok(())
}

fn lookback(src: &(impl Source + ?Sized), sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, m: &mut Rec, mut distance: u32) -> Result<u64> {
    while m.lcn >= distance as u64 {
        let lcn = m.lcn - distance as u64;
        load(src, sb, inode, zi, m, lcn, false)?;
        if m.ltype == LCLUSTER_TYPE_NONHEAD {
            distance = m.delta[0];
            if distance == 0 {
                break;
            }
            continue;
        }
        m.headtype = m.ltype;
        return Ok((lcn << zi.lclusterbits) | m.clusterofs as u64);
    }
    Err(Error::BadCompressedLayout)
}

/// Maps byte `ofs`: returns the recorder, (m_la, end), and where the
/// index pack of `ofs`'s own lcluster ends (an inline tail pcluster
/// follows the indexes of the last lcluster).
fn do_map(src: &(impl Source + ?Sized), sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, ofs: u64) -> Result<(Rec, (u64, u64), u64)> {
    let bits = zi.lclusterbits;
    let initial_lcn = ofs >> bits;
    let endoff = (ofs & ((1u64 << bits) - 1)) as u32;
    let mut m = Rec::default();
    load(src, sb, inode, zi, &mut m, initial_lcn, false)?;
    let initial_packend = m.nextpackoff;
    let mut end = (m.lcn + 1) << bits;
    let la;
    if m.ltype != LCLUSTER_TYPE_NONHEAD && endoff >= m.clusterofs {
        m.headtype = m.ltype;
        la = (m.lcn << bits) | m.clusterofs as u64;
        // A tail-packed EOF lcluster may end before the lcluster does.
        if zi.idata_size != 0 && end > inode.size {
            end = inode.size;
        }
    } else {
        if m.ltype != LCLUSTER_TYPE_NONHEAD {
            if m.lcn == 0 {
                return Err(Error::BadCompressedLayout);
            }
            end = (m.lcn << bits) | m.clusterofs as u64;
            m.delta[0] = 1;
        }
        let distance = m.delta[0];
        la = lookback(src, sb, inode, zi, &mut m, distance)?;
    }
    if end <= la {
        return Err(Error::BadCompressedLayout);
    }
    Ok((m, (la, end), initial_packend))
}

/// Maps the byte at `la` (below the file size) of a compressed inode.
/// With `full`, the extent's length runs to the next pcluster (or EOF),
/// as the C driver computes for fiemap.
pub fn map<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, la: u64, full: bool) -> Result<ZExtent> {
    if la >= inode.size {
        return Err(Error::OutOfRange);
    }
    if zi.whole_file_fragment() {
        return Ok(ZExtent {
            la: 0,
            llen: inode.size,
            kind: ZKind::Fragment { offset: zi.fragment_off },
            pa: 0,
            plen: 0,
            inline: false,
            inline_dev: 0,
            partial_ref: false,
        });
    }
    if let Some(count) = zi.extents() {
        return map_extents(src, sb, inode, zi, count, la);
    }
    let (mut m, (m_la, end), _) = do_map(src, sb, inode, zi, la)?;
    let bits = zi.lclusterbits;
    let blksz = sb.block_size() as u64;
    let mut ext = ZExtent {
        la: m_la,
        llen: end - m_la,
        kind: ZKind::Shifted,
        pa: 0,
        plen: 0,
        inline: false,
        inline_dev: 0,
        partial_ref: m.partialref,
    };
    let is_tail = m.lcn == zi.tail_headlcn;
    if zi.idata_size != 0 && is_tail {
        ext.inline = true;
        ext.inline_dev = inode.meta_dev;
        ext.pa = zi.fragment_off;
        ext.plen = zi.idata_size as u64;
        if ext.pa % blksz + ext.plen > blksz {
            return Err(Error::BadCompressedLayout);
        }
    } else if zi.advise & ADVISE_FRAGMENT_PCLUSTER != 0 && is_tail {
        // The tail from this pcluster's start to EOF is in the packed inode.
        ext.kind = ZKind::Fragment { offset: zi.fragment_off };
        ext.llen = inode.size - m_la;
        return Ok(ext);
    } else {
        // Before compressed_len, which may load the next lcluster.
        let pa = sb.block_offset(m.pblk as u64);
        let blocks = compressed_len(src, sb, inode, zi, &mut m)?;
        if blocks == 0 {
            // A hole pcluster: no data on disk.
            ext.kind = ZKind::Hole;
            if full {
                ext.llen = decompressed_len(src, sb, inode, zi, &mut m, m_la)?;
            }
            return Ok(ext);
        }
        ext.pa = pa?;
        ext.plen = blocks.checked_mul(blksz).ok_or(Error::BadCompressedLayout)?;
    }
    if m.headtype == LCLUSTER_TYPE_PLAIN {
        if ext.llen > ext.plen {
            return Err(Error::BadCompressedLayout);
        }
        ext.kind = if zi.advise & ADVISE_INTERLACED_PCLUSTER != 0 && !ext.inline { ZKind::Interlaced } else { ZKind::Shifted };
    } else {
        let algorithm = zi.algorithm[if m.headtype == LCLUSTER_TYPE_HEAD2 { 1 } else { 0 }];
        if sb.compression.available_algs & (1 << algorithm) == 0 {
            return Err(Error::UnsupportedAlgorithm(algorithm));
        }
        ext.kind = ZKind::Compressed { algorithm };
    }
    if full {
        ext.llen = decompressed_len(src, sb, inode, zi, &mut m, m_la)?;
        if ext.kind == ZKind::Shifted || ext.kind == ZKind::Interlaced {
            if ext.llen > ext.plen {
                return Err(Error::BadCompressedLayout);
            }
        }
    }
    let _ = bits;
    if ext.plen > PCLUSTER_MAX_SIZE as u64 || ext.llen > PCLUSTER_MAX_DSIZE as u64 {
        return Err(Error::Unsupported("pclusters over 1 MiB or extents over 12 MiB"));
    }
    Ok(ext)
}

fn compressed_len(src: &(impl Source + ?Sized), sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, m: &mut Rec) -> Result<u64> {
    let big1 = zi.advise & ADVISE_BIG_PCLUSTER_1 != 0;
    let big2 = zi.advise & ADVISE_BIG_PCLUSTER_2 != 0;
    let lcn = m.lcn + 1;
    if m.hole {
        return Ok(0);
    }
    if (m.headtype == LCLUSTER_TYPE_HEAD1 && !big1)
        || ((m.headtype == LCLUSTER_TYPE_PLAIN || m.headtype == LCLUSTER_TYPE_HEAD2) && !big2)
        || (lcn << zi.lclusterbits) >= inode.size
    {
        m.compressedblks = 1;
    }
    if m.compressedblks != 0 {
        return Ok(m.compressedblks as u64);
    }
    load(src, sb, inode, zi, m, lcn, false)?;
    if m.ltype == LCLUSTER_TYPE_NONHEAD && m.delta[0] != 1 {
        return Err(Error::BadCompressedLayout);
    }
    if m.ltype != LCLUSTER_TYPE_NONHEAD || m.compressedblks == 0 {
        m.compressedblks = 1;
    }
    Ok(m.compressedblks as u64)
}

fn decompressed_len(src: &(impl Source + ?Sized), sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, m: &mut Rec, m_la: u64) -> Result<u64> {
    let bits = zi.lclusterbits;
    let headlcn = m_la >> bits;
    let mut lcn = m.lcn;
    loop {
        if (lcn << bits) >= inode.size {
            return Ok(inode.size - m_la);
        }
        load(src, sb, inode, zi, m, lcn, true)?;
        if m.ltype == LCLUSTER_TYPE_NONHEAD {
            // Old mkfs wrote delta[1] = 0; treat it as 1 like the C driver.
            if m.delta[1] == 0 {
                m.delta[1] = 1;
            }
        } else {
            if lcn != headlcn {
                break;
            }
            m.delta[1] = 1;
        }
        lcn = lcn.checked_add(m.delta[1] as u64).ok_or(Error::BadCompressedLayout)?;
    }
    let end = (lcn << bits) + m.clusterofs as u64;
    end.checked_sub(m_la).filter(|&l| l > 0).ok_or(Error::BadCompressedLayout)
}

/// Size of one encoded extent record (ADVISE_EXTRECSZ): 4, 8, 16 or 32.
fn extent_recsize(advise: u16) -> u64 {
    4 << ((advise >> 1) & 3)
}

const EXTENT_PLEN_PARTIAL: u32 = 1 << 27;
const EXTENT_PLEN_FMT_BIT: u32 = 28;
const EXTENT_PLEN_MASK: u32 = (PCLUSTER_MAX_SIZE << 1) - 1;

/// Maps the byte at `la` of an inode with encoded extents
/// (z_erofs_map_blocks_ext). Records of 4 or 8 bytes describe one
/// lcluster each: 4-byte records hold only lengths, laid out back to back
/// from a 64-bit start address, 8-byte ones a 32-bit start each. Records
/// of 16 or 32 bytes carry their logical start and are binary-searched.
fn map_extents<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout, zi: &ZInfo, count: u64, la: u64) -> Result<ZExtent> {
    let bad = Error::BadCompressedLayout;
    let recsz = extent_recsize(zi.advise);
    let blksz = sb.block_size() as u64;
    let dev = inode.meta_dev;
    // Records start after the map header, aligned to their size.
    let mut pos = header_pos(sb, inode)?.checked_add(8 + recsz - 1).ok_or(bad)? / recsz * recsz;
    let mut lend = inode.size;
    let (mut plen, mut pa) = (0u32, 0u64);
    let lstart;
    let last;
    let mut rec = [0u8; z_extent::SIZE];
    let read_rec = |at: u64, rec: &mut [u8; z_extent::SIZE]| -> Result<()> {
        let r = rec.get_mut(..recsz as usize).ok_or(Error::BadCompressedLayout)?;
        read_exact(src, dev, at, blksz as u32, r)
    };
    if recsz <= 8 {
        let unit = 1u64 << zi.lclusterbits;
        let mut next_pa = None;
        let mut l;
        if recsz == 4 {
            let mut raw = [0u8; 8];
            read_exact(src, dev, pos, blksz as u32, &mut raw)?;
            next_pa = Some(u64::from_le_bytes(raw));
            pos += 8;
            l = 0;
        } else {
            l = la / unit * unit;
            pos = (la / unit).checked_mul(recsz).and_then(|o| o.checked_add(pos)).ok_or(bad)?;
        }
        // Walk to the record of `la`'s lcluster (from the first one with
        // 4-byte records, whose addresses add up).
        while l <= la {
            read_rec(pos, &mut rec)?;
            plen = z_extent::PLEN.get(&rec)?;
            match next_pa {
                Some(p) => {
                    pa = p;
                    next_pa = Some(p.checked_add((plen & EXTENT_PLEN_MASK) as u64).ok_or(bad)?);
                }
                None => pa = z_extent::PSTART_LO.get(&rec)? as u64,
            }
            pos = pos.checked_add(recsz).ok_or(bad)?;
            l = l.checked_add(unit).ok_or(bad)?;
        }
        last = l >= inode.size.div_ceil(unit).checked_mul(unit).ok_or(bad)?;
        lend = lend.min(l);
        lstart = l - unit;
    } else {
        let mut found = inode.size;
        let (mut lo, mut hi) = (0u64, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            read_rec(mid.checked_mul(recsz).and_then(|o| o.checked_add(pos)).ok_or(bad)?, &mut rec)?;
            let mut rla = z_extent::LSTART_LO.get(&rec)? as u64;
            let rpa = z_extent::PSTART_LO.get(&rec)? as u64 | (z_extent::PSTART_HI.get(&rec)? as u64) << 32;
            if recsz > 16 {
                rla |= (z_extent::LSTART_HI.get(&rec)? as u64) << 32;
            }
            if rla > la {
                hi = mid;
                if rla > lend {
                    return Err(bad);
                }
                lend = rla;
            } else {
                lo = mid + 1;
                if la == rla {
                    hi = hi.min(lo + 1);
                }
                found = rla;
                plen = z_extent::PLEN.get(&rec)?;
                pa = rpa;
            }
        }
        last = lo >= count;
        lstart = found;
    }
    let mut ext = ZExtent { la, llen: 0, kind: ZKind::Hole, pa: 0, plen: 0, inline: false, inline_dev: 0, partial_ref: false };
    if lstart >= lend {
        // Before the first record: a hole up to it.
        ext.llen = lend.checked_sub(la).filter(|&n| n > 0).ok_or(bad)?;
        return Ok(ext);
    }
    ext.la = lstart;
    ext.llen = lend - lstart;
    if last && zi.advise & ADVISE_FRAGMENT_PCLUSTER != 0 {
        // The last extent is the tail fragment: the record holds its
        // offset in the packed inode (high bits in the address field).
        let mut offset = plen as u64;
        if recsz > 4 {
            offset |= pa << 32;
        }
        ext.kind = ZKind::Fragment { offset };
        return Ok(ext);
    }
    if plen & EXTENT_PLEN_MASK == 0 {
        return Ok(ext);
    }
    ext.partial_ref = plen & EXTENT_PLEN_PARTIAL != 0;
    let fmt = plen >> EXTENT_PLEN_FMT_BIT;
    ext.pa = pa;
    ext.plen = (plen & EXTENT_PLEN_MASK) as u64;
    ext.kind = if fmt != 0 {
        let algorithm = (fmt - 1) as u8;
        if algorithm >= COMPRESSION_MAX {
            return Err(Error::UnsupportedAlgorithm(algorithm));
        }
        if sb.compression.available_algs & (1 << algorithm) == 0 {
            return Err(bad);
        }
        // Extents are always mapped whole: more stored than decoded
        // bytes is corrupt except at EOF (z_erofs_map_sanity_check).
        if ext.llen < ext.plen && ext.la + ext.llen < inode.size {
            return Err(bad);
        }
        ZKind::Compressed { algorithm }
    } else {
        if ext.llen > ext.plen {
            return Err(bad);
        }
        if zi.advise & ADVISE_INTERLACED_PCLUSTER != 0 && (ext.pa | ext.plen) % blksz == 0 {
            ZKind::Interlaced
        } else {
            ZKind::Shifted
        }
    };
    if ext.plen > PCLUSTER_MAX_SIZE as u64 || ext.llen > PCLUSTER_MAX_DSIZE as u64 {
        return Err(Error::Unsupported("pclusters over 1 MiB or extents over 12 MiB"));
    }
    // Stored bytes past 48-bit block addresses are invalid.
    let pend = ext.pa.checked_add(ext.plen).ok_or(bad)?;
    if pend / blksz > BLKADDR_48BIT_MASK {
        return Err(bad);
    }
    Ok(ext)
}
