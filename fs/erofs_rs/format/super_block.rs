// SPDX-License-Identifier: GPL-2.0

//! The superblock, its compression configurations and the device table
//! (fs/erofs/super.c, erofs_read_superblock and friends).

use super::erofs_fs::*;
use super::{crc32c, read_exact, Error, Result, Source, METABOX};

/// Per-algorithm settings from the compression configurations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompressionConfig {
    /// Bit `n` set: algorithm `n` may be used by this image.
    pub available_algs: u16,
    /// LZ4 sliding window (0 = the default 64 KiB).
    pub lz4_max_distance: u16,
    /// Largest LZ4 pcluster in blocks (1 without big pclusters).
    pub lz4_max_pclusterblks: u16,
    /// MicroLZMA dictionary size.
    pub lzma_dict_size: u32,
    /// DEFLATE window bits.
    pub deflate_windowbits: u8,
    /// Zstd window log minus 10.
    pub zstd_windowlog: u8,
}

/// One extra device of the device table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSlot {
    /// Tag (usually a path or a digest), NUL padded.
    pub tag: [u8; 64],
    /// Size of the device in blocks.
    pub blocks: u64,
    /// Where the device appears in the flat (unified) address space.
    pub mapped_blkaddr: u64,
}

impl DeviceSlot {
    /// The tag up to its first NUL.
    pub fn tag_str(&self) -> &[u8] {
        let end = self.tag.iter().position(|&b| b == 0).unwrap_or(self.tag.len());
        self.tag.get(..end).unwrap_or(&[])
    }
}

/// Where the long xattr name prefixes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixHome {
    /// At `xattr_prefix_start * 4` of the primary device.
    Plain,
    /// At that offset of the metabox.
    Metabox,
    /// At that offset of the data of the packed inode (this nid).
    Packed(u64),
}

/// A parsed and checked superblock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperBlock {
    pub checksum: u32,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub blkszbits: u8,
    pub sb_extslots: u8,
    pub root_nid: u64,
    pub inos: u64,
    /// Base seconds of compact inodes' mtimes (the build time of images
    /// made before erofs-utils 1.9).
    pub epoch: u64,
    /// Nanoseconds of compact inodes' mtimes.
    pub fixed_nsec: u32,
    /// Seconds after `epoch` the image was made (0 before 1.9).
    pub build_time: u32,
    pub blocks: u64,
    pub meta_blkaddr: u32,
    pub xattr_blkaddr: u32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    pub extra_devices: u16,
    pub devt_slotoff: u16,
    pub xattr_prefix_count: u8,
    pub xattr_prefix_start: u32,
    pub packed_nid: u64,
    pub xattr_filter_reserved: u8,
    /// ISHARE_XATTRS: the long prefix naming the fingerprint xattr.
    pub ishare_xattr_prefix_id: u8,
    /// METABOX: the nid of the inode whose data is the metabox.
    pub metabox_nid: u64,
    pub compression: CompressionConfig,
}

impl SuperBlock {
    /// Reads and checks the superblock of the primary device, the way the
    /// C driver does at mount: magic, block size, checksum, incompatible
    /// features, extension slots, volume name, compression configs.
    pub fn read<S: Source + ?Sized>(src: &S) -> Result<Self> {
        let head = src.bytes(0, SUPER_OFFSET, SUPER_BLOCK_SIZE)?;
        let b: &[u8] = &head;
        if b.len() < SUPER_BLOCK_SIZE {
            return Err(Error::Io);
        }
        let magic = sb::MAGIC.get(b)?;
        if magic != SUPER_MAGIC_V1 {
            return Err(Error::BadMagic(magic));
        }
        let blkszbits = sb::BLKSZBITS.get(b)?;
        if !(9..=12).contains(&blkszbits) {
            return Err(Error::UnsupportedBlockSize(blkszbits));
        }
        let dirblkbits = sb::DIRBLKBITS.get(b)?;
        if dirblkbits != 0 {
            return Err(Error::UnsupportedDirBlockSize(dirblkbits));
        }
        let mut sb = SuperBlock {
            checksum: sb::CHECKSUM.get(b)?,
            feature_compat: sb::FEATURE_COMPAT.get(b)?,
            blkszbits,
            sb_extslots: sb::SB_EXTSLOTS.get(b)?,
            root_nid: sb::ROOT_NID.get(b)? as u64,
            inos: sb::INOS.get(b)?,
            epoch: sb::EPOCH.get(b)?,
            fixed_nsec: sb::FIXED_NSEC.get(b)?,
            build_time: sb::BUILD_TIME.get(b)?,
            blocks: sb::BLOCKS_LO.get(b)? as u64,
            meta_blkaddr: sb::META_BLKADDR.get(b)?,
            xattr_blkaddr: sb::XATTR_BLKADDR.get(b)?,
            uuid: [0; 16],
            volume_name: [0; 16],
            feature_incompat: sb::FEATURE_INCOMPAT.get(b)?,
            extra_devices: sb::EXTRA_DEVICES.get(b)?,
            devt_slotoff: sb::DEVT_SLOTOFF.get(b)?,
            xattr_prefix_count: sb::XATTR_PREFIX_COUNT.get(b)?,
            xattr_prefix_start: sb::XATTR_PREFIX_START.get(b)?,
            packed_nid: sb::PACKED_NID.get(b)?,
            xattr_filter_reserved: sb::XATTR_FILTER_RESERVED.get(b)?,
            ishare_xattr_prefix_id: sb::ISHARE_XATTR_PREFIX_ID.get(b)?,
            metabox_nid: 0,
            compression: CompressionConfig::default(),
        };
        let rootnid_8b = sb::ROOTNID_8B.get(b)?;
        if sb.feature_incompat & FEATURE_INCOMPAT_48BIT != 0 && rootnid_8b != 0 {
            // The 16 bits of the short root nid are the high block count.
            sb.blocks |= (sb.root_nid) << 32;
            sb.root_nid = rootnid_8b;
        }
        let lz4_u1 = sb::U1.get(b)?;
        if let (Some(u), Some(v)) = (b.get(SB_UUID), b.get(SB_VOLUME_NAME)) {
            sb.uuid.copy_from_slice(u);
            sb.volume_name.copy_from_slice(v);
        }
        drop(head);

        if sb.feature_compat & FEATURE_COMPAT_SB_CHKSUM != 0 {
            sb.verify_checksum(src)?;
        }
        let unknown = sb.feature_incompat & !ALL_FEATURE_INCOMPAT;
        if unknown != 0 {
            return Err(Error::UnsupportedIncompat(unknown));
        }
        // The C driver bounds the superblock by PAGE_SIZE - 1024; we bound
        // it by 4096 - 1024, the smallest page size it runs on.
        if sb.sb_size() > 4096 - SUPER_OFFSET as usize {
            return Err(Error::BadExtSlots(sb.sb_extslots));
        }
        if !sb.volume_name.contains(&0) {
            return Err(Error::BadVolumeName);
        }
        if sb.feature_compat & FEATURE_COMPAT_ISHARE_XATTRS != 0 && sb.ishare_xattr_prefix_id >= sb.xattr_prefix_count {
            return Err(Error::BadIshareXattrPrefix(sb.ishare_xattr_prefix_id));
        }
        if sb.has_metabox() {
            // The nid sits in the extension slot: the superblock must
            // have it, and the metabox cannot live in itself.
            let end = sb::METABOX_NID.0 + Le64::WIDTH;
            if sb.sb_size() < end {
                return Err(Error::BadMetabox);
            }
            let mut raw = [0u8; 8];
            read_exact(src, 0, SUPER_OFFSET + sb::METABOX_NID.0 as u64, sb.block_size(), &mut raw)?;
            sb.metabox_nid = u64::from_le_bytes(raw);
            if sb.metabox_nid >> DIRENT_NID_METABOX_BIT != 0 {
                return Err(Error::BadMetabox);
            }
        }
        sb.compression = sb.read_compression_configs(src, lz4_u1)?;
        if sb.has_device_table() && sb.extra_devices != 0 {
            // The slots must lie inside the image's addressable range.
            let start = sb.devt_slotoff as u64 * DEVT_SLOT_SIZE;
            start.checked_add(sb.extra_devices as u64 * DEVT_SLOT_SIZE).ok_or(Error::BadDeviceTable)?;
        }
        Ok(sb)
    }

    fn verify_checksum<S: Source + ?Sized>(&self, src: &S) -> Result<()> {
        let blksz = self.block_size() as usize;
        // The C driver sums from the superblock to the end of its block
        // (or one block's worth when blocks are smaller than 1024 bytes).
        let len = if blksz > SUPER_OFFSET as usize { blksz - SUPER_OFFSET as usize } else { blksz };
        let mut crc = !0u32;
        let mut done = 0usize;
        while done < len {
            let n = (len - done).min(512);
            let chunk = src.bytes(0, SUPER_OFFSET + done as u64, n)?;
            let c: &[u8] = &chunk;
            let c = c.get(..n).ok_or(Error::Io)?;
            if done == 0 {
                // The checksum field itself counts as zero.
                crc = crc32c::update(crc, c.get(..4).unwrap_or(&[]));
                crc = crc32c::update(crc, &[0; 4]);
                crc = crc32c::update(crc, c.get(8..).unwrap_or(&[]));
            } else {
                crc = crc32c::update(crc, c);
            }
            done += n;
        }
        if crc != self.checksum {
            return Err(Error::BadChecksum { stored: self.checksum, computed: crc });
        }
        Ok(())
    }

    fn read_compression_configs<S: Source + ?Sized>(&self, src: &S, u1: u16) -> Result<CompressionConfig> {
        let mut cfg = CompressionConfig { lz4_max_pclusterblks: 1, ..Default::default() };
        if self.feature_incompat & FEATURE_INCOMPAT_COMPR_CFGS == 0 {
            cfg.available_algs = 1 << COMPRESSION_LZ4;
            cfg.lz4_max_distance = u1;
            return Ok(cfg);
        }
        cfg.available_algs = u1;
        if u1 & !((1u16 << COMPRESSION_MAX) - 1) != 0 {
            return Err(Error::UnsupportedAlgorithm((15 - u1.leading_zeros()) as u8));
        }
        let blksz = self.block_size();
        let mut offset = SUPER_OFFSET + self.sb_size() as u64;
        for alg in 0..COMPRESSION_MAX {
            if u1 & (1 << alg) == 0 {
                continue;
            }
            // Each record: 4-aligned, a le16 length (0 = 65536), payload.
            offset = offset.checked_add(3).ok_or(Error::BadCompressionConfig)? & !3;
            let mut lenb = [0u8; 2];
            read_exact(src, 0, offset, blksz, &mut lenb)?;
            let len = match u16::from_le_bytes(lenb) {
                0 => 65536usize,
                n => n as usize,
            };
            offset += 2;
            let mut rec = [0u8; 14];
            let n = len.min(rec.len());
            read_exact(src, 0, offset, blksz, &mut rec[..n])?;
            offset = offset.checked_add(len as u64).ok_or(Error::BadCompressionConfig)?;
            match alg {
                COMPRESSION_LZ4 => {
                    if len < lz4_cfgs::SIZE {
                        return Err(Error::BadCompressionConfig);
                    }
                    cfg.lz4_max_distance = lz4_cfgs::MAX_DISTANCE.get(&rec)?;
                    let blks = lz4_cfgs::MAX_PCLUSTERBLKS.get(&rec)?;
                    cfg.lz4_max_pclusterblks = if blks == 0 { 1 } else { blks };
                    if cfg.lz4_max_pclusterblks as u32 > PCLUSTER_MAX_SIZE >> self.blkszbits {
                        return Err(Error::BadCompressionConfig);
                    }
                }
                COMPRESSION_LZMA => {
                    if len < lzma_cfgs::SIZE || lzma_cfgs::FORMAT.get(&rec)? != 0 {
                        return Err(Error::BadCompressionConfig);
                    }
                    let dict = lzma_cfgs::DICT_SIZE.get(&rec)?;
                    if !(4096..=8 * PCLUSTER_MAX_SIZE).contains(&dict) {
                        return Err(Error::BadCompressionConfig);
                    }
                    cfg.lzma_dict_size = dict;
                }
                COMPRESSION_DEFLATE => {
                    let windowbits = deflate_cfgs::WINDOWBITS.get(&rec)?;
                    if len < deflate_cfgs::SIZE || windowbits > 15 {
                        return Err(Error::BadCompressionConfig);
                    }
                    cfg.deflate_windowbits = windowbits;
                }
                _ => {
                    // Zstd: format must be 0, window at most 1 MiB.
                    let windowlog = zstd_cfgs::WINDOWLOG.get(&rec)?;
                    if len < zstd_cfgs::SIZE || zstd_cfgs::FORMAT.get(&rec)? != 0 || windowlog > 20 - 10 {
                        return Err(Error::BadCompressionConfig);
                    }
                    cfg.zstd_windowlog = windowlog;
                }
            }
        }
        Ok(cfg)
    }

    /// Block size in bytes.
    pub fn block_size(&self) -> u32 {
        1 << self.blkszbits
    }

    /// Size of the superblock with its extension slots.
    pub fn sb_size(&self) -> usize {
        SUPER_BLOCK_SIZE + self.sb_extslots as usize * SB_EXTSLOT_SIZE
    }

    /// Byte offset of block `blkaddr`.
    pub fn block_offset(&self, blkaddr: u64) -> Result<u64> {
        blkaddr.checked_mul(self.block_size() as u64).ok_or(Error::BadBlockAddress(blkaddr))
    }

    /// Where inode `nid` is: (device, byte offset). An inode of the
    /// metabox is at its slot of the metabox's data ([`METABOX`]), any
    /// other at its slot after `meta_blkaddr` on the primary device.
    pub fn inode_location(&self, nid: u64) -> Result<(u16, u64)> {
        let slot = (nid & DIRENT_NID_MASK).checked_mul(1 << ISLOT_BITS).ok_or(Error::BadNid(nid))?;
        if nid >> DIRENT_NID_METABOX_BIT != 0 {
            if !self.has_metabox() {
                return Err(Error::BadNid(nid));
            }
            return Ok((METABOX, slot));
        }
        let base = self.block_offset(self.meta_blkaddr as u64)?;
        Ok((0, slot.checked_add(base).ok_or(Error::BadNid(nid))?))
    }

    /// The inode number the 7.x C driver shows for `nid` (erofs_nid_to_ino64):
    /// the nid itself, except on metabox images, where bits 31..62 move
    /// up by one and the metabox bit becomes bit 31 (inode numbers stay
    /// small for 32-bit programs).
    pub fn nid_to_ino64(&self, nid: u64) -> u64 {
        if !self.has_metabox() {
            return nid;
        }
        ((nid << 1) & 0xffff_ffff_0000_0000) | (nid & 0x7fff_ffff) | ((nid >> DIRENT_NID_METABOX_BIT) << 31)
    }

    /// The nid behind inode number `ino` (the inverse of
    /// [`Self::nid_to_ino64`]).
    pub fn ino64_to_nid(&self, ino: u64) -> u64 {
        if !self.has_metabox() {
            return ino;
        }
        ((ino >> 1) & 0x7fff_ffff_8000_0000) | (ino & 0x7fff_ffff) | ((ino >> 31) & 1) << DIRENT_NID_METABOX_BIT
    }

    pub fn has_device_table(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_DEVICE_TABLE != 0
    }

    pub fn has_sb_chksum(&self) -> bool {
        self.feature_compat & FEATURE_COMPAT_SB_CHKSUM != 0
    }

    pub fn has_xattr_filter(&self) -> bool {
        self.feature_compat & FEATURE_COMPAT_XATTR_FILTER != 0
    }

    pub fn has_zero_padding(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_ZERO_PADDING != 0
    }

    pub fn has_big_pcluster(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_BIG_PCLUSTER != 0
    }

    pub fn has_ztailpacking(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_ZTAILPACKING != 0
    }

    pub fn has_fragments(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_FRAGMENTS != 0
    }

    pub fn has_xattr_prefixes(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_XATTR_PREFIXES != 0
    }

    pub fn has_48bit(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_48BIT != 0
    }

    pub fn has_metabox(&self) -> bool {
        self.feature_incompat & FEATURE_INCOMPAT_METABOX != 0
    }

    pub fn has_shared_ea_in_metabox(&self) -> bool {
        self.feature_compat & FEATURE_COMPAT_SHARED_EA_IN_METABOX != 0
    }

    pub fn has_plain_xattr_pfx(&self) -> bool {
        self.feature_compat & FEATURE_COMPAT_PLAIN_XATTR_PFX != 0
    }

    pub fn has_ishare_xattrs(&self) -> bool {
        self.feature_compat & FEATURE_COMPAT_ISHARE_XATTRS != 0
    }

    /// Where the long xattr name prefixes are (erofs_xattr_prefixes_init):
    /// in the metabox, in the packed inode, or (with PLAIN_XATTR_PFX or
    /// neither) in the plain metadata of the primary device.
    pub fn xattr_prefix_home(&self) -> PrefixHome {
        if self.has_plain_xattr_pfx() {
            PrefixHome::Plain
        } else if self.has_metabox() {
            PrefixHome::Metabox
        } else if let Some(nid) = self.packed_inode() {
            PrefixHome::Packed(nid)
        } else {
            PrefixHome::Plain
        }
    }

    /// Has a packed inode (fragments, long xattr prefixes).
    pub fn packed_inode(&self) -> Option<u64> {
        if self.packed_nid != 0 {
            Some(self.packed_nid)
        } else {
            None
        }
    }

    /// Number of extra devices the image declares.
    pub fn extra_device_count(&self) -> u16 {
        if self.has_device_table() {
            self.extra_devices
        } else {
            0
        }
    }

    /// The `index`th (0-based) extra device slot.
    pub fn device_slot<S: Source + ?Sized>(&self, src: &S, index: u16) -> Result<DeviceSlot> {
        if index >= self.extra_device_count() {
            return Err(Error::BadDeviceId(index.saturating_add(1)));
        }
        let pos = (self.devt_slotoff as u64 + index as u64) * DEVT_SLOT_SIZE;
        let mut raw = [0u8; DEVT_SLOT_SIZE as usize];
        read_exact(src, 0, pos, self.block_size(), &mut raw)?;
        let mut tag = [0u8; 64];
        tag.copy_from_slice(raw.get(..64).ok_or(Error::Io)?);
        let mut slot =
            DeviceSlot { tag, blocks: deviceslot::BLOCKS_LO.get(&raw)? as u64, mapped_blkaddr: deviceslot::UNIADDR_LO.get(&raw)? as u64 };
        if self.has_48bit() {
            slot.blocks |= (deviceslot::BLOCKS_HI.get(&raw)? as u64) << 32;
            slot.mapped_blkaddr |= (deviceslot::UNIADDR_HI.get(&raw)? as u64) << 32;
        }
        Ok(slot)
    }

    /// The volume name up to its NUL.
    pub fn volume_name_str(&self) -> &[u8] {
        let end = self.volume_name.iter().position(|&b| b == 0).unwrap_or(16);
        self.volume_name.get(..end).unwrap_or(&[])
    }
}
