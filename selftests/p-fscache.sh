# group: fscache
# fscache on-demand mode: the image's blobs served by erofs-ondemand from
# the disks, through a fresh cachefiles cache for each driver. erofs_rs
# mounted with fsid= reads what the C erofs reads in the same mode, and
# what erofs_rs reads from the block device and, without any daemon, from
# the blobs as files (file-backed, device=); fsid shows in /proc/mounts.
# On a kernel without on-demand cachefiles, erofs_rs refuses fsid= and
# says why.
. /selftests/lib.sh
img=$1
dev=$(disk_of "$img")
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs /mnt/bd
if ! have_fscache; then
	! mount -t erofs_rs -o fsid="$img" none /mnt/rs
	dmesg | grep -q "fscache mode needs a kernel with fscache"
	exit 0
fi
modprobe erofs

# The blobs, named as the mount names them: the image by its fsid, a
# separate blob device by the name device= gives it.
blobs=/tmp/blobs
rm -rf $blobs && mkdir -p $blobs
ln -s "$dev" "$blobs/$img"
bdopts="" fsopts=""
if blob=$(disk_of "$img-blob" 2>/dev/null); then
	ln -s "$blob" "$blobs/$img-blob"
	bdopts=",device=$blob" fsopts=",device=$img-blob"
fi

start_daemon c --blobs $blobs
mount -t erofs -o "fsid=$img$fsopts" none /mnt/c
erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
erofs-manifest --no-dir-size $(src_opts "$img") /mnt/c >/tmp/c.src
umount /mnt/c
stop_daemon

start_daemon rs --blobs $blobs
mount -t erofs_rs -o "fsid=$img$fsopts" none /mnt/rs
grep " /mnt/rs erofs_rs " /proc/mounts | grep -q ",fsid=$img"
erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
umount /mnt/rs
stop_daemon
# The daemon was asked for data: the reads went through the cache.
grep -q "^erofs-ondemand: read $img " /tmp/daemon-rs.log

mount -t erofs_rs -o "ro$bdopts" "$dev" /mnt/bd
erofs-manifest --ino --readdir-order /mnt/bd >/tmp/bd.full
umount /mnt/bd

# Daemonless: the same blobs as files, the primary one mounted
# file-backed and the others named with device=.
mkdir -p /tmp/files
cat "$dev" >/tmp/files/$img
fileopts=""
if [ -n "$bdopts" ]; then
	cat "$blob" >/tmp/files/$img-blob
	fileopts=",device=/tmp/files/$img-blob"
fi
mount -t erofs_rs -o "ro$fileopts" /tmp/files/$img /mnt/bd
erofs-manifest --ino --readdir-order /mnt/bd >/tmp/files.full
umount /mnt/bd
rm -rf /tmp/files
diff -u /tmp/rs.full /tmp/files.full

diff -u /tmp/c.full /tmp/rs.full
diff -u /tmp/c.full /tmp/bd.full
diff -u /selftests/data/"$img".src /tmp/c.src
