# composefs: a metadata image made by mkcomposefs (composefs 1.0.8) and
# its object store (files' contents by digest, in an image of their own)
# mounted as composefs mounts them: overlayfs with
# metacopy=on,redirect_dir=on,lowerdir=IMAGE::OBJECTS. The image is read
# by erofs_rs and by the C erofs: both show the same image (the
# trusted.overlay.* xattrs overlayfs reads: metacopy with digests,
# redirects, escaped whiteouts and xattrs), the two overlays the same tree,
# which is the source tree (but for what overlayfs presents its own way:
# link counts, the source's escaped whiteout), read the same way every
# way erofs-readcheck reads. Then a
# writable upper layer on each: the same writes, renames and deletions
# give the same trees.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/obj /mnt/cfs-rs /mnt/cfs-c /mnt/m-rs /mnt/m-c /mnt/w
mount -t erofs_rs -o ro "$(disk_of c-objects)" /mnt/obj
mount -t erofs_rs -o ro "$(disk_of c-composefs)" /mnt/cfs-rs
# The C erofs through a loop device over the same disk (a block device
# takes one filesystem type at a time).
loop=$(losetup -f)
losetup -r "$loop" "$(disk_of c-composefs)"
mount -t erofs -o ro "$loop" /mnt/cfs-c
erofs-manifest --no-dir-size --ino /mnt/cfs-rs >/tmp/cfs.rs
erofs-manifest --no-dir-size --ino /mnt/cfs-c >/tmp/cfs.c
diff -u /tmp/cfs.c /tmp/cfs.rs
grep -q "trusted.overlay.metacopy" /tmp/cfs.rs
grep -q "trusted.overlay.redirect" /tmp/cfs.rs
echo "the image: $(wc -l </tmp/cfs.rs) entries, the same through both drivers"

for drv in rs c; do
	mount -t overlay overlay -o ro,metacopy=on,redirect_dir=on,lowerdir=/mnt/cfs-$drv::/mnt/obj /mnt/m-$drv
	erofs-manifest --no-dir-size /mnt/m-$drv >/tmp/m.$drv
	erofs-readcheck --seed 5 /mnt/m-$drv >/tmp/r.$drv
done
diff -u /tmp/m.c /tmp/m.rs
# The source tree, but for what overlayfs itself presents differently
# from a plain tree, the same over either driver: link counts (1 for
# files reached through a redirect), the escaped whiteout of the source
# (an "xwhiteout" file with overlay.whiteout xattrs), and the overlay
# xattrs composefs adds to mark directories holding such files.
plain() { awk '$1 != "./whiteout" { $6 = "-"; print }' "$1" | sed -E 's/ x:(trusted|user)\.overlay\.[^ ]*//g'; }
plain /selftests/data/c-composefs.src >/tmp/src.plain
plain /tmp/m.rs | diff -u /tmp/src.plain -
grep -Eq '^\./whiteout (c .* rdev=0:0|f .*overlay\.whiteout=)' /tmp/m.rs
diff -u /tmp/r.c /tmp/r.rs
# Every file read without an error (overlayfs has no fiemap for
# directories).
grep ERROR /tmp/r.rs | grep -v "fiemap=ERROR Operation not supported" >/tmp/r.err || true
[ ! -s /tmp/r.err ]
umount /mnt/m-rs /mnt/m-c
echo "composefs over erofs_rs and over the C erofs: the source tree"

# A writable layer on top: copy-up of data and of metadata only, a new
# file, renames of a file and of a directory (redirect), deletions of a
# file and of a directory (whiteouts), over the composefs lower.
mount -t tmpfs tmpfs /mnt/w
for drv in rs c; do
	mkdir -p /mnt/w/$drv/upper /mnt/w/$drv/work /mnt/w/$drv/m
	mount -t overlay overlay -o metacopy=on,redirect_dir=on,lowerdir=/mnt/cfs-$drv::/mnt/obj,upperdir=/mnt/w/$drv/upper,workdir=/mnt/w/$drv/work /mnt/w/$drv/m
	m=/mnt/w/$drv/m
	echo appended >>$m/sizes/edge-4096
	chmod 600 $m/sizes/random-3M
	touch -d "2001-02-03 04:05:06" $m/sizes/text-1M
	echo new >$m/new-file
	mv $m/sizes/edge-100 $m/renamed
	mv $m/deep $m/deep-moved
	rm $m/links/short
	rm -r $m/wide
	ln -s renamed $m/new-link
	# Without mtimes: the writes stamp the time they ran at.
	erofs-manifest --no-dir-size --no-mtime $m >/tmp/w.$drv
	umount $m
	# Mounted again: the upper layer's redirects and whiteouts hold.
	mount -t overlay overlay -o ro,metacopy=on,redirect_dir=on,lowerdir=/mnt/w/$drv/upper:/mnt/cfs-$drv::/mnt/obj $m
	erofs-manifest --no-dir-size --no-mtime $m >/tmp/w2.$drv
	umount $m
done
diff -u /tmp/w.c /tmp/w.rs
diff -u /tmp/w2.c /tmp/w2.rs
diff -u /tmp/w.rs /tmp/w2.rs
grep -q '^./renamed ' /tmp/w.rs
not grep -q '^./wide' /tmp/w.rs
echo "a writable layer: the same tree on both after $(grep -c . /tmp/w.rs) entries' worth of changes, and after a remount"
umount /mnt/w /mnt/cfs-rs /mnt/cfs-c /mnt/obj
rmmod erofs_rs
