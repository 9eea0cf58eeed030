# A mount that fails after the superblock was read logs what is wrong and
# never "mounted" (the C driver logs that only once the mount succeeded):
# the image's root nid is pointed at a regular file, which both drivers
# refuse.
. /selftests/lib.sh
dev=$(prepare_pair basic)
mount -t erofs -o ro "$dev" /mnt/c
file=$(find /mnt/c -type f | head -n 1)
nid=$(stat -c %i "$file")
umount /mnt/c
[ "$nid" -lt 65536 ]
img=/tmp/root-not-dir.img
dd if="$dev" of=$img bs=4096 2>/dev/null
# Byte n of the image, and writing one byte at n.
byte() { od -An -tu1 -j "$1" -N1 "$img" | tr -d ' '; }
put() { printf "\\$(printf %o "$2")" | dd of="$img" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
# erofs_super_block at 1024: feature_compat (le32) at +8, whose bit 0 is
# the superblock checksum (cleared: the edit would break it), root_nid
# (le16) at +14.
put 1032 $(($(byte 1032) & 254))
put 1038 $((nid & 255))
put 1039 $((nid >> 8))
loop=$(losetup -f)
losetup "$loop" $img
not mount -t erofs -o ro "$loop" /mnt/c
dmesg -c >/dev/null
not mount -t erofs_rs -o ro "$loop" /mnt/rs
dmesg | grep "erofs_rs (device [^)]*): root inode $nid is not a directory"
not sh -c 'dmesg | grep "mounted with root inode"'
# The intact image mounts and says so, once.
mount -t erofs_rs -o ro "$dev" /mnt/rs
[ "$(dmesg | grep -c "mounted with root inode")" = 1 ]
umount /mnt/rs
losetup -d "$loop"
rm -f $img
