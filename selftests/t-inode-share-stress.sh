# Page cache sharing under churn: eight readers hash two trees that share
# most contents (i-13, i-14 and their lz4hc twins, one domain) while the
# caches are dropped under them and the mounts come and go: a mount is
# detached (umount -l) while its readers still run in it, and mounted
# again for new readers; the last unmount frees the shared inodes and
# erofs_rs unloads. Every read must give the source's bytes.
. /selftests/lib.sh
modprobe erofs_rs
data=/selftests/data
opts=ro,inode_share,domain_id=stress
for img in i-13 i-14 i-13-lz4hc i-14-lz4hc; do
	mkdir -p /mnt/$img
	mount -t erofs_rs -o $opts "$(disk_of $img)" /mnt/$img
	# The source's hash of every third regular file (its manifest).
	awk '$2 == "f" && ++n % 3 == 0 { print $9 "  " $1 }' $data/$img.src >/tmp/want.$img
done

# A reader: in the mount (its working directory keeps a detached mount
# alive), checks the files until told to stop; "FAIL" on a bad read.
reader() { # IMG N
	cd /mnt/$1 || exit 1
	while [ ! -e /tmp/stop ]; do
		sha256sum -c /tmp/want.$1 >/dev/null 2>/tmp/err.$1.$2 || { echo FAIL >/tmp/fail.$1.$2; cat /tmp/err.$1.$2; }
	done
}
rm -f /tmp/stop /tmp/fail.*
n=0
for img in i-13 i-14 i-13-lz4hc i-14-lz4hc i-13 i-14 i-13-lz4hc i-14-lz4hc; do
	n=$((n + 1))
	reader $img $n &
done
# Churn: drop caches; detach a mount under its readers and mount the
# image again with two new readers; in turn for each image.
for round in 1 2 3 4 5 6; do
	for img in i-13 i-14-lz4hc i-14 i-13-lz4hc; do
		echo 3 >/proc/sys/vm/drop_caches
		umount -l /mnt/$img
		mount -t erofs_rs -o $opts "$(disk_of $img)" /mnt/$img
		n=$((n + 1))
		reader $img $n &
		sleep 0.5
	done
done
touch /tmp/stop
wait
not ls /tmp/fail.* 2>/dev/null
echo "readers: $n, all read the source's bytes"
for img in i-13 i-14 i-13-lz4hc i-14-lz4hc; do umount /mnt/$img; done
# Detached mounts go with their last reader; then nothing holds the module.
for _ in $(seq 50); do rmmod erofs_rs 2>/dev/null && break; sleep 0.2; done
not grep -q erofs_rs /proc/modules
