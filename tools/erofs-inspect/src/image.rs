//! An EROFS image opened on the host: files as a `Source`, the superblock,
//! the long xattr prefixes, and file data reads on top of the format core.

use crate::decomp::HostDecompressor;
use erofs_format::data::DeviceMode;
use erofs_format::decompress::decode_extent;
use erofs_format::dir::{self, DirBlocks};
use erofs_format::inode::Inode;
use erofs_format::super_block::{PrefixHome, SuperBlock};
use erofs_format::xattr::{self, LongPrefix};
use erofs_format::zdata;
use erofs_format::zmap::ZExtent;
use erofs_format::{Error, Result, Source, METABOX};
use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The image and its extra devices: files read with pread, or bytes in
/// memory (fuzzing); and the data of the metabox inode, decoded at open.
pub struct Files {
    devices: Vec<File>,
    memory: Option<Vec<u8>>,
    metabox: Option<Vec<u8>>,
}

/// The largest metabox the host tools load.
const METABOX_MAX: u64 = 256 << 20;

impl Source for Files {
    type Bytes<'a> = Vec<u8>;

    fn bytes(&self, dev: u16, offset: u64, len: usize) -> Result<Vec<u8>> {
        if dev == METABOX {
            let m = self.metabox.as_ref().ok_or(Error::BadDeviceId(dev))?;
            let start = usize::try_from(offset).map_err(|_| Error::OutOfRange)?;
            let end = start.checked_add(len).ok_or(Error::OutOfRange)?;
            return m.get(start..end).map(<[u8]>::to_vec).ok_or(Error::OutOfRange);
        }
        if let Some(m) = &self.memory {
            if dev != 0 {
                return Err(Error::BadDeviceId(dev));
            }
            let start = usize::try_from(offset).map_err(|_| Error::OutOfRange)?;
            let end = start.checked_add(len).ok_or(Error::OutOfRange)?;
            return m.get(start..end).map(<[u8]>::to_vec).ok_or(Error::OutOfRange);
        }
        let f = self.devices.get(dev as usize).ok_or(Error::BadDeviceId(dev))?;
        let mut buf = vec![0u8; len];
        let mut done = 0;
        while done < len {
            match f.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => return Err(Error::OutOfRange),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Error::Io),
            }
        }
        Ok(buf)
    }
}

pub struct Image {
    pub src: Files,
    pub sb: SuperBlock,
    pub prefixes: Vec<LongPrefix>,
    pub mode: DeviceMode,
    dec: RefCell<HostDecompressor>,
    /// The last decoded extent: (nid, extent, data).
    zcache: RefCell<Option<(u64, ZExtent, Vec<u8>)>>,
}

/// File reads through the format core, decoding with the host's
/// decompressors and keeping the last decoded extent.
struct HostRead<'a>(&'a Image);

impl zdata::ReadCtx for HostRead<'_> {
    type Src = Files;
    fn src(&self) -> &Files {
        &self.0.src
    }
    fn sb(&self) -> &SuperBlock {
        &self.0.sb
    }
    fn device_mode(&self) -> DeviceMode {
        self.0.mode
    }
    fn cached_extent(&self, nid: u64, pos: u64) -> Option<ZExtent> {
        let cache = self.0.zcache.borrow();
        let (_, ext, _) = cache.as_ref().filter(|c| c.0 == nid)?;
        (ext.la <= pos && pos - ext.la < ext.llen).then_some(*ext)
    }
    fn copy_decoded(&mut self, nid: u64, ext: &ZExtent, from: usize, out: &mut [u8]) -> Result<()> {
        let img = self.0;
        let mut cache = img.zcache.borrow_mut();
        let hit = matches!(cache.as_ref(), Some((n, e, _)) if *n == nid && e == ext);
        if !hit {
            let (dev, off) = zdata::stored_location(&img.src, &img.sb, img.mode, ext)?;
            let mut stored = vec![0u8; ext.plen as usize];
            erofs_format::read_exact(&img.src, dev, off, img.sb.block_size(), &mut stored)?;
            let mut data = vec![0u8; ext.llen as usize];
            decode_extent(&img.sb, ext, &stored, &mut data, &mut *img.dec.borrow_mut())?;
            *cache = Some((nid, *ext, data));
        }
        let data = &cache.as_ref().ok_or(Error::Io)?.2;
        out.copy_from_slice(data.get(from..from + out.len()).ok_or(Error::BadCompressedLayout)?);
        Ok(())
    }
}

impl Image {
    /// Opens `path` with extra devices `devices` (device-table order). No
    /// extra devices means flat addressing through the image.
    pub fn open(path: &Path, devices: &[std::path::PathBuf]) -> std::result::Result<Self, String> {
        let mut files = vec![File::open(path).map_err(|e| format!("{}: {e}", path.display()))?];
        for d in devices {
            files.push(File::open(d).map_err(|e| format!("{}: {e}", d.display()))?);
        }
        let src = Files { devices: files, memory: None, metabox: None };
        Self::with_source(src, devices.len()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// An image held in memory, with flat addressing of any blobs.
    pub fn from_bytes(bytes: Vec<u8>) -> std::result::Result<Self, String> {
        Self::with_source(Files { devices: Vec::new(), memory: Some(bytes), metabox: None }, 0)
    }

    fn with_source(src: Files, extra: usize) -> std::result::Result<Self, String> {
        let sb = SuperBlock::read(&src).map_err(|e| e.to_string())?;
        let mode = if extra == 0 { DeviceMode::Flat } else { DeviceMode::Separate };
        if extra != 0 && extra != sb.extra_device_count() as usize {
            return Err(format!("extra devices don't match (ondisk {}, given {extra})", sb.extra_device_count()));
        }
        let dec = RefCell::new(HostDecompressor { lzma_dict_size: sb.compression.lzma_dict_size });
        let mut img = Image { src, sb, prefixes: Vec::new(), mode, dec, zcache: RefCell::new(None) };
        if img.sb.has_metabox() {
            let metabox = img.read_metabox().map_err(|e| format!("metabox: {e}"))?;
            img.src.metabox = Some(metabox);
        }
        img.prefixes = img.read_prefixes().map_err(|e| format!("long xattr prefixes: {e}"))?;
        Ok(img)
    }

    /// The whole data of the metabox inode (which is never in the
    /// metabox itself: the superblock checks its nid).
    fn read_metabox(&self) -> Result<Vec<u8>> {
        let ino = Inode::read(&self.src, &self.sb, self.sb.metabox_nid)?;
        if ino.size > METABOX_MAX {
            return Err(Error::Unsupported("a metabox over 256 MiB"));
        }
        self.read_all_unbounded(&ino)
    }

    fn read_prefixes(&self) -> Result<Vec<LongPrefix>> {
        let mut out = Vec::new();
        if self.sb.xattr_prefix_count == 0 {
            return Ok(out);
        }
        let mut pos = (self.sb.xattr_prefix_start as u64) << 2;
        let home = self.sb.xattr_prefix_home();
        let packed = match home {
            PrefixHome::Packed(nid) => Some(Inode::read(&self.src, &self.sb, nid)?),
            _ => None,
        };
        let dev = if home == PrefixHome::Metabox { METABOX } else { 0 };
        for _ in 0..self.sb.xattr_prefix_count {
            let p = xattr::read_long_prefix(
                |at, buf| match &packed {
                    Some(ino) => self.read_data(ino, at, buf),
                    None => erofs_format::read_exact(&self.src, dev, at, self.sb.block_size(), buf),
                },
                &mut pos,
            )?;
            out.push(p);
        }
        Ok(out)
    }

    pub fn inode(&self, nid: u64) -> Result<Inode> {
        Inode::read(&self.src, &self.sb, nid)
    }

    pub fn root(&self) -> Result<Inode> {
        self.inode(self.sb.root_nid)
    }

    /// Reads `buf.len()` bytes of file data at `offset` (which with the
    /// length must lie within the file).
    pub fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<()> {
        zdata::read_file(&mut HostRead(self), inode, offset, buf)
    }

    /// The whole content of a small file (a symlink target, say); files
    /// over 64 MiB are refused rather than allocated.
    pub fn read_all(&self, inode: &Inode) -> Result<Vec<u8>> {
        if inode.size > 64 << 20 {
            return Err(Error::BadSize);
        }
        self.read_all_unbounded(inode)
    }

    fn read_all_unbounded(&self, inode: &Inode) -> Result<Vec<u8>> {
        let mut v = vec![0u8; usize::try_from(inode.size).map_err(|_| Error::BadSize)?];
        self.read_data(inode, 0, &mut v)?;
        Ok(v)
    }

    /// Entries of a directory in on-disk order: (name, nid, file type).
    pub fn read_dir(&self, inode: &Inode) -> Result<Vec<(Vec<u8>, u64, u8)>> {
        if !inode.is_dir() {
            return Err(Error::NotDir);
        }
        let mut out = Vec::new();
        let mut blocks = DirData { img: self, inode };
        dir::iterate(&mut blocks, inode.size, self.sb.block_size(), 0, |de, _| {
            out.push((de.name.to_vec(), de.nid, de.file_type));
            true
        })?;
        Ok(out)
    }

    pub fn lookup(&self, dir_inode: &Inode, name: &[u8]) -> Result<Option<(u64, u8)>> {
        if !dir_inode.is_dir() {
            return Err(Error::NotDir);
        }
        let mut blocks = DirData { img: self, inode: dir_inode };
        dir::lookup(&mut blocks, dir_inode.size, self.sb.block_size(), name)
    }

    /// Resolves an absolute path inside the image (no symlink following).
    pub fn resolve(&self, path: &str) -> Result<Inode> {
        let mut cur = self.root()?;
        for comp in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            let (nid, _) = self.lookup(&cur, comp.as_bytes())?.ok_or(Error::NotFound)?;
            cur = self.inode(nid)?;
        }
        Ok(cur)
    }

    /// Every xattr of an inode: (full name, value).
    pub fn xattrs(&self, inode: &Inode) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut names = Vec::new();
        xattr::list(&self.src, &self.sb, inode, &self.prefixes[..], |base, infix, suffix| {
            names.push((base, [infix, suffix].concat()));
            Ok(std::ops::ControlFlow::Continue(()))
        })?;
        let mut out = Vec::new();
        for (base, name) in names {
            let Some(prefix) = xattr::index_prefix(base) else { continue };
            let size = xattr::get(&self.src, &self.sb, inode, &self.prefixes[..], base, &name, None)?;
            let mut value = vec![0u8; size];
            xattr::get(&self.src, &self.sb, inode, &self.prefixes[..], base, &name, Some(&mut value))?;
            out.push(([prefix, &name[..]].concat(), value));
        }
        Ok(out)
    }
}

struct DirData<'a> {
    img: &'a Image,
    inode: &'a Inode,
}

impl DirBlocks for DirData<'_> {
    fn with_block<R>(&mut self, index: u64, f: impl FnOnce(&[u8]) -> Result<R>) -> Result<R> {
        let bsz = self.img.sb.block_size() as u64;
        let start = index.checked_mul(bsz).ok_or(Error::BadDirent)?;
        if start >= self.inode.size {
            return Err(Error::BadDirent);
        }
        let len = bsz.min(self.inode.size - start) as usize;
        let mut buf = vec![0u8; len];
        self.img.read_data(self.inode, start, &mut buf)?;
        f(&buf)
    }
}
