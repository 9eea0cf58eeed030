# fscache mode under faults: a blob the daemon cannot open fails the mount
# cleanly; with a data blob shorter than the image needs, the image
# mounts, and reads past the blob's end fail with EIO and a kernel
# message naming the blob, never a hang; 100
# mount cycles; the module cannot go while a domain is mounted and goes
# once it is not.
. /selftests/lib.sh
need_fscache
modprobe erofs_rs
img=u-4k
blobs=/tmp/fblobs
rm -rf $blobs && mkdir -p $blobs /mnt/f /mnt/g
ln -s "$(disk_of $img)" $blobs/$img
ln -s "$(disk_of u-blob-dev)" $blobs/u-blob-dev
# The first MiB of the multi-device image's data blob.
head -c 1048576 "$(disk_of u-blob-dev-blob)" >$blobs/short
start_daemon faults --blobs $blobs

not mount -t erofs_rs -o fsid=missing none /mnt/f
grep -q "open erofs,missing / missing: No such file" /tmp/daemon-faults.log
dmesg | grep -q "erofs_rs.*missing"

mount -t erofs_rs -o fsid=u-blob-dev,device=short none /mnt/f
# 3 MiB of random bytes: most of it lies past the first MiB of the blob.
not cat /mnt/f/sizes/random-3M >/dev/null 2>/tmp/cat.err
grep -q "Input/output error" /tmp/cat.err
dmesg | grep -q "blob short: "
umount /mnt/f

for _ in $(seq 100); do
	mount -t erofs_rs -o fsid=$img none /mnt/f
	umount /mnt/f
done

mount -t erofs_rs -o fsid=$img,domain_id=dom none /mnt/f
mount -t erofs_rs -o fsid=u-blob-dev,domain_id=dom,device=short none /mnt/g
not rmmod erofs_rs
umount /mnt/f
not rmmod erofs_rs
umount /mnt/g
rmmod erofs_rs
stop_daemon
