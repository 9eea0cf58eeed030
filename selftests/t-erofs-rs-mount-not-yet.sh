# Until the mount path lands, mounting with erofs_rs fails cleanly with a
# message (EOPNOTSUPP), and the module still unloads.
. /selftests/lib.sh
modprobe erofs_rs
dev=$(disk_of basic)
mkdir -p /mnt/rs
if mount -t erofs_rs -o ro "$dev" /mnt/rs 2>/tmp/err; then
	echo "mount unexpectedly succeeded"; umount /mnt/rs; exit 1
fi
cat /tmp/err
grep -qi 'not supported\|not implemented' /tmp/err
rmmod erofs_rs
