# group: devices
# A multi-device image (chunk indexes pointing into a blob device) reads
# the same through erofs_rs with device= as through the C erofs, and a
# wrong device count is refused as the C driver refuses it.
. /selftests/lib.sh
img=$1
dev=$(disk_of "$img")
blob=$(disk_of "$img-blob")
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs
mount -t erofs -o ro,device="$blob" "$dev" /mnt/c
erofs-manifest --ino --readdir-order /mnt/c >/tmp/c.full
erofs-manifest --no-dir-size /mnt/c >/tmp/c.src
umount /mnt/c
mount -t erofs_rs -o ro,device="$blob" "$dev" /mnt/rs
erofs-manifest --ino --readdir-order /mnt/rs >/tmp/rs.full
umount /mnt/rs
diff -u /tmp/c.full /tmp/rs.full
diff -u /selftests/data/"$img".src /tmp/c.src
not mount -t erofs_rs -o ro,device="$blob",device="$blob" "$dev" /mnt/rs
dmesg | grep -q "extra devices don't match"
