# group: uncompressed compressed
# erofs_rs and the C erofs, mounting the same image in the same boot, show
# the same tree: every entry's type, mode, owner, link count, size, times,
# inode number, device number, symlink target, xattrs and content, and
# each directory's readdir order. The C view also equals the source tree.
. /selftests/lib.sh
img=$1
dev=$(prepare_pair "$img")
mount -t erofs -o ro "$dev" /mnt/c
erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
erofs-manifest --no-dir-size $(src_opts "$img") /mnt/c >/tmp/c.src
umount /mnt/c
mount -t erofs_rs -o ro "$dev" /mnt/rs
erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
stat -f /mnt/rs >/tmp/rs.statfs
umount /mnt/rs
mount -t erofs -o ro "$dev" /mnt/c
stat -f /mnt/c >/tmp/c.statfs
umount /mnt/c
echo "entries: $(wc -l </tmp/c.full)"
diff -u /tmp/c.full /tmp/rs.full
diff -u /selftests/data/"$img".src /tmp/c.src
sed 's|/mnt/c|MNT|' /tmp/c.statfs >/tmp/c.st
sed 's|/mnt/rs|MNT|' /tmp/rs.statfs >/tmp/rs.st
diff -u /tmp/c.st /tmp/rs.st
