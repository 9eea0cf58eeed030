# group: uncompressed compressed
# Every way a program reads reaches the same bytes through erofs_rs as
# through the C erofs: pread at seeded random offsets (also past EOF),
# readv, shared and private mmap, splice, sendfile, lseek, getdents64 with
# a tiny buffer, and seekdir to every returned position.
. /selftests/lib.sh
img=$1
dev=$(prepare_pair "$img")
mount -t erofs -o ro "$dev" /mnt/c
erofs-readcheck --seed 7 /mnt/c >/tmp/c.read
umount /mnt/c
echo 3 >/proc/sys/vm/drop_caches
mount -t erofs_rs -o ro "$dev" /mnt/rs
erofs-readcheck --seed 7 /mnt/rs >/tmp/rs.read
umount /mnt/rs
echo "checked $(wc -l </tmp/c.read) files and directories"
not grep ERROR /tmp/rs.read
diff -u /tmp/c.read /tmp/rs.read
