//! Seeded corruption of images, shared by the cargo mutation test and the
//! `erofs-mutate` tool the guest uses to feed corrupt images to the kernel.

use crate::layout::{Kind, Layout, Region};
use erofs_format::erofs_fs::{dirent, inode_compact, inode_extended, sb, xattr_ibody_header, z_map_header, FieldInfo, SUPER_OFFSET};

/// xorshift64*: small, seeded, reproducible.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

const INTERESTING: [u64; 10] = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff, 1 << 32, u64::MAX];

/// Applies one mutation chosen by `rng` to `img`: half of them edit a
/// field of a structure `layout` located, the others are blind.
pub fn mutate(img: &mut Vec<u8>, layout: &Layout, rng: &mut Rng) -> String {
    if !layout.regions.is_empty() && rng.below(2) == 0 {
        // A kind first, then a region of it: inodes outnumber directory
        // blocks a hundred to one, and dirents deserve their share.
        let kinds = layout.kinds();
        let kind = kinds[rng.below(kinds.len() as u64) as usize];
        let of_kind: Vec<&Region> = layout.regions.iter().filter(|r| r.kind == kind).collect();
        let r = *of_kind[rng.below(of_kind.len() as u64) as usize];
        if r.off.saturating_add(r.len) <= img.len() as u64 {
            return mutate_structure(img, layout, r, rng);
        }
    }
    mutate_blind(img, rng)
}

/// Writes the low `width` bytes of `v` at `off` (little endian, as EROFS).
/// One of `fields`, at random.
fn pick(fields: &[FieldInfo], rng: &mut Rng) -> FieldInfo {
    fields[rng.below(fields.len() as u64) as usize]
}

fn put(img: &mut [u8], off: usize, width: usize, v: u64) {
    if let Some(dst) = img.get_mut(off..off + width) {
        dst.copy_from_slice(&v.to_le_bytes()[..width]);
    }
}

fn get(img: &[u8], off: usize, width: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = img.get(off..off + width) {
        b[..width].copy_from_slice(src);
    }
    u64::from_le_bytes(b)
}

/// A new value for a `width`-byte field that held `old`: an interesting
/// constant, a near neighbour (off-by-a-few bugs), or random bits.
fn new_value(old: u64, width: usize, rng: &mut Rng) -> u64 {
    match rng.below(3) {
        0 => INTERESTING[rng.below(INTERESTING.len() as u64) as usize],
        1 => {
            let d = 1 + rng.below(16);
            if rng.below(2) == 0 {
                old.wrapping_add(d)
            } else {
                old.wrapping_sub(d)
            }
        }
        _ => rng.next() >> (64 - 8 * width as u32),
    }
}

/// Edits one field of the structure in region `r`.
fn mutate_structure(img: &mut [u8], layout: &Layout, r: Region, rng: &mut Rng) -> String {
    let base = r.off as usize;
    let (off, width, what) = match r.kind {
        Kind::Inode => {
            // Any field of the on-disk inode (erofs_fs.rs).
            let fields = if r.len >= inode_extended::SIZE as u64 { inode_extended::FIELDS } else { inode_compact::FIELDS };
            let f = pick(fields, rng);
            (base + f.off, f.width, "inode field")
        }
        Kind::XattrBody => {
            // The header's name filter, shared count, then any id or entry
            // byte (name length, index, value size).
            let (o, w) = match rng.below(3) {
                0 => (xattr_ibody_header::H_NAME_FILTER.0, 4),
                1 => (xattr_ibody_header::H_SHARED_COUNT.0, 1),
                _ => (rng.below(r.len) as usize, [1usize, 2][rng.below(2) as usize]),
            };
            (base + o, w, "xattr field")
        }
        Kind::DirBlock => {
            // A dirent of the table the first nameoff bounds: its nid (often
            // another real inode), nameoff or file type.
            let table = get(img, base + dirent::NAMEOFF.0, 2).min(r.len);
            let entries = (table / dirent::SIZE as u64).max(1);
            let e = base + dirent::SIZE * rng.below(entries) as usize;
            match rng.below(4) {
                0 if !layout.nids.is_empty() => {
                    let nid = layout.nids[rng.below(layout.nids.len() as u64) as usize];
                    put(img, e, 8, nid);
                    return format!("dirent nid -> {nid} at {e}");
                }
                0 | 1 => (e + dirent::NID.0, 8, "dirent nid"),
                2 => (e + dirent::NAMEOFF.0, 2, "dirent nameoff"),
                _ => (e + dirent::FILE_TYPE.0, 1, "dirent type"),
            }
        }
        Kind::ZIndexes => {
            // The map header's advise, algorithms and cluster bits, or a
            // 2/4-byte field of an index (type, offset, block address).
            if rng.below(3) == 0 {
                let f = pick(z_map_header::FIELDS, rng);
                (base + f.off, f.width, "z map header")
            } else {
                let w = [2usize, 4][rng.below(2) as usize];
                let o = 8 + (rng.below(r.len.saturating_sub(8) / w as u64) as usize) * w;
                (base + o, w, "z index")
            }
        }
        Kind::ChunkIndexes => {
            let w = [2usize, 4][rng.below(2) as usize];
            let o = (rng.below(r.len / w as u64) as usize) * w;
            (base + o, w, "chunk index")
        }
    };
    let v = new_value(get(img, off, width), width, rng);
    put(img, off, width, v);
    format!("{what} at {off} = {v:#x}")
}

/// A mutation that knows only the superblock's place.
fn mutate_blind(img: &mut Vec<u8>, rng: &mut Rng) -> String {
    // Earlier mutations may have truncated the image below the superblock:
    // pad it back so every mutation below stays in bounds.
    if img.len() < 1024 + 128 + 8 {
        img.resize(1024 + 128 + 8, 0);
    }
    let len = img.len() as u64;
    let blksz = 1u64 << img.get(1024 + 12).copied().unwrap_or(12).clamp(9, 12);
    match rng.below(7) {
        0 => {
            // Superblock field bytes.
            let off = 1024 + rng.below(128) as usize;
            img[off] = rng.next() as u8;
            format!("sb byte {off}")
        }
        1 => {
            // A bit anywhere in the metadata-heavy first blocks.
            let off = rng.below(len.min(64 * blksz)) as usize;
            img[off] ^= 1 << rng.below(8);
            format!("bit flip at {off}")
        }
        2 => {
            // An interesting 16/32/64-bit value at an aligned offset.
            let width = [2usize, 4, 8][rng.below(3) as usize];
            let off = (rng.below(len / width as u64) as usize) * width;
            let v = INTERESTING[rng.below(INTERESTING.len() as u64) as usize].to_le_bytes();
            img[off..off + width].copy_from_slice(&v[..width]);
            format!("{width}-byte value at {off}")
        }
        3 => {
            // Truncation.
            let n = rng.below(len) as usize;
            img.truncate(n.max(1));
            format!("truncate to {n}")
        }
        4 => {
            // A run of random bytes.
            let off = rng.below(len) as usize;
            let n = (rng.below(64) as usize).min(img.len() - off);
            for b in &mut img[off..off + n] {
                *b = rng.next() as u8;
            }
            format!("{n} random bytes at {off}")
        }
        5 => {
            // Superblock numbers that steer everything else.
            const STEERING: [&str; 10] = [
                "ROOT_NID",
                "BLOCKS",
                "META_BLKADDR",
                "XATTR_BLKADDR",
                "U1",
                "EXTRA_DEVICES",
                "DEVT_SLOTOFF",
                "XATTR_PREFIX_COUNT",
                "XATTR_PREFIX_START",
                "PACKED_NID",
            ];
            let name = STEERING[rng.below(STEERING.len() as u64) as usize];
            let f = sb::FIELDS.iter().find(|f| f.name == name).copied().unwrap_or(sb::FIELDS[0]);
            let at = SUPER_OFFSET as usize + f.off;
            let v = INTERESTING[rng.below(INTERESTING.len() as u64) as usize].to_le_bytes();
            img[at..at + f.width].copy_from_slice(&v[..f.width]);
            format!("sb field {}", f.name)
        }
        _ => {
            // Clear the checksum feature so later mutations reach parsing.
            img[SUPER_OFFSET as usize + sb::FEATURE_COMPAT.0] &= !1;
            let off = rng.below(len) as usize;
            img[off] = rng.next() as u8;
            format!("no-csum + byte {off}")
        }
    }
}

/// Applies 1..=4 mutations chosen by `seed`; returns what was done.
pub fn mutate_with_seed(img: &mut Vec<u8>, seed: u64) -> Vec<String> {
    let layout = Layout::of(img);
    mutate_with_layout(img, &layout, seed)
}

/// As [`mutate_with_seed`], with the layout of the intact image already
/// mapped (the guest fuzzer maps each seed image once).
pub fn mutate_with_layout(img: &mut Vec<u8>, layout: &Layout, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let mut what = Vec::new();
    for _ in 0..=rng.below(3) {
        if img.is_empty() {
            break;
        }
        what.push(mutate(img, layout, &mut rng));
    }
    what
}
