//! The guided fuzzer's corpus on a raw disk: the host packs the corpus
//! kept under its cache into one file the guest reads as a block device,
//! and the guest appends the images that reached new code to another,
//! which the host unpacks after the run (also after a crash: each record
//! is synced as it is written).
//!
//! A record is the magic `EFZC`, a metadata length (u32, little endian),
//! a data length (u64), the metadata (one line of `key=value` words) and
//! the image. Anything else where a record would start (zeros of a fresh
//! disk, a record cut short) ends the list.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

const MAGIC: &[u8; 4] = b"EFZC";
const HEADER: u64 = 16;
/// Bounds what a damaged disk can make us allocate.
const MAX_META: u32 = 4096;
const MAX_DATA: u64 = 1 << 30;

/// Where a record's image is on its disk, and what it says of itself.
#[derive(Clone, Debug)]
pub struct Record {
    pub meta: String,
    pub offset: u64,
    pub len: u64,
}

impl Record {
    /// The value of `key` in the metadata line.
    pub fn get(&self, key: &str) -> Option<&str> {
        meta_get(&self.meta, key)
    }
}

/// The value of `key` in a metadata line of `key=value` words.
pub fn meta_get<'a>(meta: &'a str, key: &str) -> Option<&'a str> {
    meta.split_whitespace().find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// The records of `f` from its start; the offset after the last one.
pub fn scan(f: &File) -> io::Result<(Vec<Record>, u64)> {
    let size = f.metadata()?.len().max(block_size(f));
    let mut out = Vec::new();
    let mut pos = 0u64;
    loop {
        let mut h = [0u8; HEADER as usize];
        if pos.checked_add(HEADER).is_none_or(|e| e > size) || f.read_exact_at(&mut h, pos).is_err() || &h[..4] != MAGIC {
            break;
        }
        let meta_len = u32::from_le_bytes(h[4..8].try_into().unwrap_or_default());
        let data_len = u64::from_le_bytes(h[8..16].try_into().unwrap_or_default());
        if meta_len > MAX_META || data_len > MAX_DATA {
            break;
        }
        let data_at = pos + HEADER + u64::from(meta_len);
        let Some(end) = data_at.checked_add(data_len).filter(|e| *e <= size) else { break };
        let mut meta = vec![0u8; meta_len as usize];
        if f.read_exact_at(&mut meta, pos + HEADER).is_err() {
            break;
        }
        out.push(Record { meta: String::from_utf8_lossy(&meta).into_owned(), offset: data_at, len: data_len });
        pos = end;
    }
    Ok((out, pos))
}

/// The size of a block device (a regular file's metadata says 0 there).
fn block_size(f: &File) -> u64 {
    let mut g = f;
    g.seek(SeekFrom::End(0)).unwrap_or(0)
}

/// Reads a record's image.
pub fn read(f: &File, r: &Record) -> io::Result<Vec<u8>> {
    let mut v = vec![0u8; r.len as usize];
    f.read_exact_at(&mut v, r.offset)?;
    Ok(v)
}

/// Writes one record at `pos` (with a zero header after it, so a reader
/// stops there even on a reused disk) and syncs it; returns the record
/// and the offset after it.
pub fn append(f: &File, pos: u64, meta: &str, data: &[u8]) -> io::Result<(Record, u64)> {
    let meta = meta.replace('\n', " ");
    let mut buf = Vec::with_capacity(HEADER as usize * 2 + meta.len() + data.len());
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    buf.extend_from_slice(&(data.len() as u64).to_le_bytes());
    buf.extend_from_slice(meta.as_bytes());
    buf.extend_from_slice(data);
    let end = pos + buf.len() as u64;
    buf.extend_from_slice(&[0u8; HEADER as usize]);
    f.write_all_at(&buf, pos)?;
    f.sync_data()?;
    let offset = pos + HEADER + meta.len() as u64;
    Ok((Record { meta, offset, len: data.len() as u64 }, end))
}

/// Packs every `NAME.img` of `dir` (with the metadata line of
/// `NAME.meta`, if any) into `out`, a new file; returns how many.
pub fn pack(dir: &Path, out: &Path) -> io::Result<usize> {
    let mut names: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "img")).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    names.sort();
    let f = File::create(out)?;
    let mut pos = 0;
    for p in &names {
        let data = std::fs::read(p)?;
        let meta = std::fs::read_to_string(p.with_extension("meta")).unwrap_or_default();
        let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let meta = if meta_get(&meta, "name").is_some() { meta } else { format!("name={name} {meta}") };
        pos = append(&f, pos, meta.trim(), &data)?.1;
    }
    // At least a header's worth of zeros, so an empty corpus is a disk.
    f.set_len(pos.max(4096))?;
    Ok(names.len())
}

/// Writes each record of `disk` not yet in `dir` as `NAME.img` and
/// `NAME.meta`; returns how many were new.
pub fn unpack(disk: &Path, dir: &Path) -> io::Result<usize> {
    let f = File::open(disk)?;
    let (records, _) = scan(&f)?;
    std::fs::create_dir_all(dir)?;
    let mut new = 0;
    for r in &records {
        let Some(name) = r.get("name").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        else {
            continue;
        };
        let img = dir.join(format!("{name}.img"));
        if img.exists() {
            continue;
        }
        let data = read(&f, r)?;
        std::fs::write(dir.join(format!("{name}.meta")), format!("{}\n", r.meta))?;
        let mut tmp = File::create(dir.join(format!("{name}.img.tmp")))?;
        tmp.write_all(&data)?;
        std::fs::rename(dir.join(format!("{name}.img.tmp")), &img)?;
        new += 1;
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_pack_and_unpack() {
        let base = std::env::temp_dir().join(format!("efzc-{}", std::process::id()));
        let (src, dst, disk) = (base.join("src"), base.join("dst"), base.join("disk"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("a.img"), b"first image").unwrap();
        std::fs::write(src.join("a.meta"), "parent=seed.img seed=7\n").unwrap();
        std::fs::write(src.join("b.img"), vec![0xa5u8; 10000]).unwrap();
        assert_eq!(pack(&src, &disk).unwrap(), 2);
        // The guest appends after what it found.
        let f = std::fs::OpenOptions::new().read(true).write(true).open(&disk).unwrap();
        let (recs, end) = scan(&f).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].get("parent"), Some("seed.img"));
        assert_eq!(recs[0].get("name"), Some("a"));
        assert_eq!(read(&f, &recs[1]).unwrap(), vec![0xa5u8; 10000]);
        let (r, _) = append(&f, end, "name=c mode=loop", b"third").unwrap();
        assert_eq!(read(&f, &r).unwrap(), b"third");
        assert_eq!(scan(&f).unwrap().0.len(), 3);
        assert_eq!(unpack(&disk, &dst).unwrap(), 3);
        assert_eq!(unpack(&disk, &dst).unwrap(), 0);
        assert_eq!(std::fs::read(dst.join("c.img")).unwrap(), b"third");
        assert!(std::fs::read_to_string(dst.join("a.meta")).unwrap().contains("seed=7"));
        // A damaged header ends the list instead of allocating its length.
        f.write_all_at(&[b'E', b'F', b'Z', b'C', 0xff, 0xff, 0xff, 0xff], 0).unwrap();
        assert_eq!(scan(&f).unwrap().0.len(), 0);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
