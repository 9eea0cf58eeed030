//! `has_no_acl` (what lets the module cache "no ACL" for an inode) on the
//! committed seed images, made by mkfs.erofs from a tree where one file
//! has a POSIX ACL: it never says "no ACL" for an inode with an ACL
//! xattr, and where mkfs.erofs wrote name filters (plain-4k) it reads
//! them as the C driver does (erofs_inode_has_noacl's bit mask).

use erofs_format::erofs_fs::{sb, FEATURE_COMPAT_SB_CHKSUM, SUPER_OFFSET};
use erofs_format::xattr::{has_no_acl, XattrIbody};
use erofs_inspect::{walk, Image};
use std::path::Path;

fn seed(name: &str) -> Image {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fs/erofs_rs/format/tests/images");
    Image::open(&dir.join(name), &[]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (path, has an ACL xattr, has any xattr, `has_no_acl` with and
/// without the filter) of every inode.
fn acl_answers(img: &Image) -> Vec<(String, bool, bool, bool, bool)> {
    let mut out = Vec::new();
    walk(img, &mut |path, _, ino| {
        let xattrs = img.xattrs(ino).map_err(|e| format!("{}: {e}", path.display()))?;
        let has_acl = xattrs.iter().any(|(n, _)| n.starts_with(b"system.posix_acl_"));
        out.push((
            path.display().to_string(),
            has_acl,
            !xattrs.is_empty(),
            has_no_acl(&img.src, &img.sb, ino, true),
            has_no_acl(&img.src, &img.sb, ino, false),
        ));
        Ok(())
    })
    .unwrap();
    out
}

#[test]
fn no_acl_is_never_said_of_an_inode_with_one() {
    for name in ["plain-4k.img", "lz4.img", "compact-1k.img", "inline-512.img", "next-metabox.img"] {
        let answers = acl_answers(&seed(name));
        assert!(answers.iter().any(|a| a.1), "{name}: the seed tree's ACL is missing");
        for (path, has_acl, has_xattrs, filtered, unfiltered) in answers {
            assert!(!(has_acl && filtered), "{name}: /{path} has an ACL");
            // Without the filter: exactly the inodes with no xattrs.
            assert_eq!(unfiltered, !has_xattrs, "{name}: /{path}");
            assert!(filtered || !unfiltered, "{name}: /{path}");
        }
    }
}

/// Every inode with xattrs of `img`: `has_no_acl` with the filter says
/// what erofs_inode_has_noacl's bit mask (the filter bits of the two ACL
/// names) says. Returns how many it ruled ACLs out of.
fn filter_answers_as_c(img: &Image) -> usize {
    const ACL_BITS: u32 = 1 << 21 | 1 << 30;
    let mut ruled_out = 0;
    walk(img, &mut |path, _, ino| {
        let Some(ib) = XattrIbody::read(&img.src, &img.sb, ino).map_err(|e| e.to_string())? else { return Ok(()) };
        let c_says = ib.name_filter & ACL_BITS == ACL_BITS;
        assert_eq!(has_no_acl(&img.src, &img.sb, ino, true), c_says, "/{}: filter {:#x}", path.display(), ib.name_filter);
        ruled_out += c_says as usize;
        Ok(())
    })
    .unwrap();
    ruled_out
}

#[test]
fn name_filter_decides_as_the_c_driver() {
    let img = seed("plain-4k.img");
    assert!(img.sb.has_xattr_filter(), "plain-4k is made with -Exattr-name-filter");
    assert_eq!(filter_answers_as_c(&img), 0);
    // /f1 (user and trusted xattrs) has bit 21 clear by a collision of
    // its names; with it set, the filter rules both ACL names out.
    let f1 = img.resolve("/f1").unwrap();
    assert!(!has_no_acl(&img.src, &img.sb, &f1, true));
    let at = (f1.iloc(&img.sb).unwrap() + f1.inode_isize as u64) as usize;
    let mut bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fs/erofs_rs/format/tests/images/plain-4k.img")).unwrap();
    let filter = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) | 1 << 21;
    bytes[at..at + 4].copy_from_slice(&filter.to_le_bytes());
    // The edit is inside the superblock's checksummed block: drop the
    // checksum feature.
    bytes[SUPER_OFFSET as usize + sb::FEATURE_COMPAT.0] &= !(FEATURE_COMPAT_SB_CHKSUM as u8);
    let edited = Image::from_bytes(bytes).unwrap();
    assert!(has_no_acl(&edited.src, &edited.sb, &edited.resolve("/f1").unwrap(), true));
    assert!(!has_no_acl(&edited.src, &edited.sb, &edited.resolve("/f1").unwrap(), false));
    // /f1 and its hard link /hard.
    assert_eq!(filter_answers_as_c(&edited), 2);
}
