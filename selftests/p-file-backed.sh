# group: uncompressed
# File-backed mounts: the image as a regular file (on an ext2 filesystem:
# tmpfs has no read_folio, so neither driver takes files on it) mounts with
# erofs_rs and reads the same as the C erofs's file-backed mount of it.
. /selftests/lib.sh
img=$1
dev=$(disk_of "$img")
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs /mnt/ext
size=$(( $(blockdev --getsize64 "$dev") / 1048576 + 8 ))
dd if=/dev/zero of=/tmp/ext.img bs=1M count=$size 2>/dev/null
mke2fs -q -F /tmp/ext.img >/dev/null
mount -t ext4 -o loop /tmp/ext.img /mnt/ext
cat "$dev" >/mnt/ext/image.erofs
erofs-mount erofs /mnt/ext/image.erofs /mnt/c
if ! erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full 2>/tmp/c.err; then
	# The C erofs of 7.x reads a file-backed image's metadata through
	# its own page-sized reads of the file, which fail with EIO on the
	# last page when the image's size is not a multiple of the page size
	# (seen on 7.3.4 with mkfs.erofs's 512- and 2048-byte-block images;
	# 6.12 reads them). The reference is then the C erofs's block-device
	# mount of the same image.
	dmesg | grep -q "failed to read inode meta block"
	echo "note: the C erofs cannot read this image file-backed; comparing with its block-device mount"
	umount /mnt/c
	mount -t erofs -o ro "$dev" /mnt/c
	erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
	dmesg -c >/dev/null
fi
umount /mnt/c
erofs-mount erofs_rs /mnt/ext/image.erofs /mnt/rs
grep -q "^/mnt/ext/image.erofs /mnt/rs erofs_rs ro," /proc/mounts
erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
umount /mnt/rs
umount /mnt/ext
rm /tmp/ext.img
diff -u /tmp/c.full /tmp/rs.full
