# fsoffset= (7.x): an image that starts 64 KiB into its device (after a
# boot loader area, say) mounts with fsoffset=65536 and shows its source
# tree, uncompressed and compressed; an offset that is not a whole number
# of blocks is refused as the C driver refuses it. The 7.x C erofs mounts
# the same device the same way; 6.12's does not know the option.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs /tmp/fso
mount -t tmpfs tmpfs /tmp/fso
for img in u-4k z-lz4; do
	f=/tmp/fso/$img.img
	head -c 65536 /dev/urandom >"$f"
	cat "$(disk_of "$img")" >>"$f"
	dev=$(losetup -f)
	losetup "$dev" "$f"
	mount -t erofs_rs -o ro,fsoffset=65536 "$dev" /mnt/rs
	grep -q " /mnt/rs erofs_rs ro,.*,fsoffset=65536" /proc/mounts
	erofs-manifest --no-dir-size $(src_opts "$img") /mnt/rs >/tmp/rs.src
	erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
	umount /mnt/rs
	diff -u /selftests/data/"$img".src /tmp/rs.src
	if mount -t erofs -o ro,fsoffset=65536 "$dev" /mnt/c 2>/dev/null; then
		erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
		umount /mnt/c
		diff -u /tmp/c.full /tmp/rs.full
		echo "$img: the C erofs of $(uname -r) reads it the same"
	else
		[ "$(uname -r | cut -d. -f1)" -lt 7 ]
		echo "$img: the C erofs of $(uname -r) has no fsoffset="
	fi
	not mount -t erofs_rs -o ro,fsoffset=bogus "$dev" /mnt/rs
	not mount -t erofs_rs -o ro,fsoffset=1000 "$dev" /mnt/rs
	losetup -d "$dev"
done
dmesg | grep -q "Bad value for 'fsoffset'"
# A valid superblock at an offset that is not a whole number of blocks.
f=/tmp/fso/odd.img
head -c 66048 /dev/zero >"$f"
cat "$(disk_of u-4k)" >>"$f"
dev=$(losetup -f)
losetup "$dev" "$f"
not mount -t erofs_rs -o ro,fsoffset=66048 "$dev" /mnt/rs
dmesg | grep -q "fsoffset 66048 is not aligned to block size 4096"
losetup -d "$dev"
umount /tmp/fso
