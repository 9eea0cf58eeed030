# group: next
# Images made by erofs-utils 1.9.x (48-bit layout, encoded extents,
# metabox, omitted dot entries, metadata zone, compressed directories):
# erofs_rs shows the source tree. Where the C erofs of this kernel mounts
# the image (7.x reads all of them), both drivers show the same tree,
# inode numbers and readdir order included, and read the same bytes every
# way erofs-readcheck reads; where it refuses one (6.12, without the 7.x
# on-disk features), the refusal is checked, so that this test notices
# when that changes.
. /selftests/lib.sh
img=$1
dev=$(prepare_pair "$img")
mount -t erofs_rs -o ro "$dev" /mnt/rs
erofs-manifest --no-dir-size $(src_opts "$img") /mnt/rs >/tmp/rs.src
erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
erofs-readcheck --seed 7 /mnt/rs >/tmp/rs.read
umount /mnt/rs
echo "entries: $(wc -l </tmp/rs.full)"
diff -u /selftests/data/"$img".src /tmp/rs.src
not grep ERROR /tmp/rs.read

dmesg -c >/dev/null
if ! mount -t erofs -o ro "$dev" /mnt/c 2>/tmp/c.err; then
	# Only the images with 7.x features, and only before 7.0.
	[ -e /selftests/data/"$img".needs7 ]
	[ "$(uname -r | cut -d. -f1)" -lt 7 ]
	dmesg | grep -q "unidentified incompatible feature"
	echo "the C erofs of $(uname -r) refuses it: $(dmesg | grep -o 'unidentified incompatible feature.*' | head -n1)"
	exit 0
fi
erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
erofs-readcheck --seed 7 /mnt/c >/tmp/c.read
umount /mnt/c
diff -u /tmp/c.full /tmp/rs.full
diff -u /tmp/c.read /tmp/rs.read
echo "the C erofs of $(uname -r) reads it the same"
