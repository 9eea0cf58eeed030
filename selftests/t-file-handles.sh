# File handles: every path of an image (plain, and lz4 compressed) goes
# through name_to_handle_at and back with open_by_handle_at on erofs_rs,
# before and after a remount (with the caches dropped between); the C
# erofs makes the same handles for the same image (both name inodes by
# nid), and each driver opens the other's. overlayfs accepts an erofs_rs
# lower with index=on,nfs_export=on (it falls back to off, with a
# warning, for a lower layer without file handles), and its merged tree
# gives handles that open again after a copy-up.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/rs /mnt/c /mnt/ovl
for img in u-4k z-lz4; do
	dev=$(disk_of $img)
	mount -t erofs_rs -o ro "$dev" /mnt/rs
	if ! erofs-handles save /mnt/rs >/tmp/h.rs; then
		grep ERROR /tmp/h.rs | head -n 5
		exit 1
	fi
	erofs-handles check /mnt/rs /tmp/h.rs
	umount /mnt/rs
	echo 3 >/proc/sys/vm/drop_caches
	mount -t erofs_rs -o ro "$dev" /mnt/rs
	erofs-handles check /mnt/rs /tmp/h.rs
	umount /mnt/rs
	# One block device takes one filesystem type at a time.
	mount -t erofs -o ro "$dev" /mnt/c
	erofs-handles save /mnt/c >/tmp/h.c
	diff -u /tmp/h.c /tmp/h.rs
	erofs-handles check /mnt/c /tmp/h.rs
	umount /mnt/c
	mount -t erofs_rs -o ro "$dev" /mnt/rs
	erofs-handles check /mnt/rs /tmp/h.c
	umount /mnt/rs
	echo "$img: $(wc -l </tmp/h.rs) handles, the same as the C erofs's, valid across a remount"
done

# overlayfs over an erofs_rs lower, with file handles.
mount -t erofs_rs -o ro "$(disk_of u-4k)" /mnt/rs
mount -t tmpfs tmpfs /mnt/ovl
mkdir /mnt/ovl/upper /mnt/ovl/work /mnt/ovl/merged
dmesg -c >/dev/null
mount -t overlay overlay -o lowerdir=/mnt/rs,upperdir=/mnt/ovl/upper,workdir=/mnt/ovl/work,index=on,nfs_export=on /mnt/ovl/merged
not sh -c 'dmesg | grep -i "falling back"'
grep " /mnt/ovl/merged overlay " /proc/mounts | grep -q "index=on.*nfs_export=on"
erofs-handles save /mnt/ovl/merged >/tmp/h.ovl
erofs-handles check /mnt/ovl/merged /tmp/h.ovl
# A copy-up keeps the file's handle valid (the index maps it).
echo appended >>/mnt/ovl/merged/sizes/edge-100
erofs-handles check /mnt/ovl/merged /tmp/h.ovl
umount /mnt/ovl/merged /mnt/ovl /mnt/rs
rmmod erofs_rs
