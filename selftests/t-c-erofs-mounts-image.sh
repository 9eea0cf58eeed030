# The image pipeline works: the C erofs mounts the image mkfs.erofs made
# from the test tree, and what it shows equals the tree's manifest, which
# the host took from the source tree.
. /selftests/lib.sh
modprobe erofs
dev=$(disk_of basic)
mkdir -p /mnt/c
mount -t erofs -o ro "$dev" /mnt/c
manifest /mnt/c >/tmp/c.manifest
umount /mnt/c
rmmod erofs
diff -u /selftests/data/basic.manifest /tmp/c.manifest
