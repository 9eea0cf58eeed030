//! The host side of erofs-rs's format core: images opened from files,
//! file data reads, directory walks. Used by the `erofs-inspect` binary
//! and by the mutation tests.

pub mod bench;
pub mod decomp;
pub mod image;
pub mod layout;
pub mod mutate;

pub use image::Image;

use erofs_format::erofs_fs::FT_DIR;
use erofs_format::inode::Inode;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Errors of the walk, as messages naming the path.
pub type R<T> = std::result::Result<T, String>;

/// Walks the tree depth-first, calling `f(path, name-in-parent entry,
/// inode)` for every entry including the root (with path "").
pub fn walk(img: &Image, f: &mut dyn FnMut(&Path, u8, &Inode) -> R<()>) -> R<()> {
    let root = img.root().map_err(|e| format!("root inode: {e}"))?;
    if !root.is_dir() {
        return Err("root inode is not a directory".into());
    }
    f(Path::new(""), FT_DIR, &root)?;
    let mut seen_dirs = HashSet::from([root.nid]);
    let mut stack = vec![(PathBuf::new(), root)];
    while let Some((path, dir)) = stack.pop() {
        let entries = img.read_dir(&dir).map_err(|e| format!("/{}: {e}", path.display()))?;
        for (name, nid, ftype) in entries {
            if name == b"." || name == b".." {
                continue;
            }
            let p = path.join(OsStr::from_bytes(&name));
            let ino = img.inode(nid).map_err(|e| format!("/{}: {e}", p.display()))?;
            if ftype != ino.file_type().dirent_type() {
                return Err(format!("/{}: directory entry type {ftype} does not match the inode", p.display()));
            }
            f(&p, ftype, &ino)?;
            if ino.is_dir() {
                // A directory reachable twice is a loop in a corrupt image.
                if !seen_dirs.insert(ino.nid) {
                    return Err(format!("/{}: directory loop (nid {})", p.display(), ino.nid));
                }
                stack.push((p, ino));
            }
        }
    }
    Ok(())
}

/// What [`check_all`] went through.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub entries: u64,
    pub bytes: u64,
}

/// Walks the whole tree and reads everything a program could: every
/// inode, directory, file content (up to `max_file_bytes` per file),
/// symlink target and xattr. The first problem is returned naming its
/// path. `tick` is called once per entry.
pub fn check_all(img: &Image, max_file_bytes: u64, tick: &mut dyn FnMut(&Path)) -> R<Stats> {
    use erofs_format::inode::FileType;
    let mut st = Stats::default();
    let mut buf = vec![0u8; 1 << 20];
    walk(img, &mut |path, _, ino| {
        let err = |e: erofs_format::Error| format!("/{}: {e}", path.display());
        if matches!(ino.file_type(), FileType::Regular | FileType::Symlink) {
            let end = ino.size.min(max_file_bytes);
            let mut off = 0;
            while off < end {
                let n = (end - off).min(buf.len() as u64) as usize;
                img.read_data(ino, off, &mut buf[..n]).map_err(err)?;
                off += n as u64;
            }
            st.bytes += end;
        }
        img.xattrs(ino).map_err(err)?;
        st.entries += 1;
        tick(path);
        Ok(())
    })?;
    Ok(st)
}
