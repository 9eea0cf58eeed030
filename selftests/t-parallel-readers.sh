# Eight readers walk and hash the whole tree at once while the page cache
# and inodes are dropped under them; every reader sees the same tree.
. /selftests/lib.sh
dev=$(disk_of u-4k)
modprobe erofs_rs
mkdir -p /mnt/x
mount -t erofs_rs -o ro "$dev" /mnt/x
erofs-manifest /mnt/x >/tmp/want
for i in 1 2 3 4 5 6 7 8; do
	(erofs-manifest /mnt/x >/tmp/got.$i; echo $? >/tmp/rc.$i) &
done
for k in 1 2 3 4 5 6; do echo 3 >/proc/sys/vm/drop_caches; sleep 1; done
wait
for i in 1 2 3 4 5 6 7 8; do
	[ "$(cat /tmp/rc.$i)" = 0 ]
	cmp /tmp/want /tmp/got.$i
done
umount /mnt/x
rmmod erofs_rs
