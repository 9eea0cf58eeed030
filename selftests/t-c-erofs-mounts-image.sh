# The image pipeline works: the C erofs mounts the image mkfs.erofs made
# from the test tree, and what it shows equals the source tree's manifest,
# which the host took with the same tool.
. /selftests/lib.sh
modprobe erofs
dev=$(disk_of basic)
mkdir -p /mnt/c
mount -t erofs -o ro "$dev" /mnt/c
erofs-manifest --no-dir-size /mnt/c >/tmp/c.manifest
umount /mnt/c
rmmod erofs
diff -u /selftests/data/basic.src /tmp/c.manifest
