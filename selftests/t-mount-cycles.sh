# 100 mount/read/umount cycles leave nothing behind: rmmod succeeds and
# the inode slab is gone.
. /selftests/lib.sh
dev=$(disk_of u-4k)
modprobe erofs_rs
mkdir -p /mnt/x
i=0
while [ $i -lt 100 ]; do
	mount -t erofs_rs -o ro "$dev" /mnt/x
	cat /mnt/x/links/target /mnt/x/sizes/edge-4097 >/dev/null
	ls /mnt/x/wide >/dev/null
	umount /mnt/x
	i=$((i + 1))
done
rmmod erofs_rs
not grep -q erofs_rs /proc/filesystems
not grep -q erofs_rs_inode /proc/slabinfo 2>/dev/null
