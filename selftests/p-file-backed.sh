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
erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
umount /mnt/c
erofs-mount erofs_rs /mnt/ext/image.erofs /mnt/rs
grep -q "^/mnt/ext/image.erofs /mnt/rs erofs_rs ro," /proc/mounts
erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
umount /mnt/rs
umount /mnt/ext
rm /tmp/ext.img
diff -u /tmp/c.full /tmp/rs.full
