# group: dax
# FSDAX: the image on a virtio-pmem device (with its blob device on
# another), mounted with dax=always, reads the same through erofs_rs as
# through the C erofs in DAX mode: every stat field, xattr and byte, the
# bytes again every way erofs-readcheck reads them (pread, readv, mmap,
# splice, ...), statx's attributes (DAX among them), inode and device
# numbers; and the C mount equals the source tree. Flat and chunk-based
# files are DAX where blocks are pages, and reading or mapping them grows
# no page cache; compressed and tail-packed files on the same mount read
# through the page cache; with blocks smaller than a page both drivers say
# why and mount without DAX.
. /selftests/lib.sh
img=$1
dev=$(pmem_of "$img")
if [ ! -b "$dev" ]; then
	echo "no pmem device for $img in this guest (tools/vm --pmem)"
	exit 77
fi
opts=ro,dax=always
if grep -qx "$img-blob" /selftests/data/pmems; then
	opts="$opts,device=$(pmem_of "$img-blob")"
fi
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs

# The DAX files (statx attribute DAX, 0x200000) of a manifest made with
# --statx.
dax_files() {
	n=0
	for a in $(sed -n 's/.* sx=\([0-9a-f]*\)\/.*/\1/p' "$1"); do
		[ $((0x$a & 0x200000)) = 0 ] || n=$((n + 1))
	done
	echo $n
}

dmesg -c >/dev/null
mount -t erofs -o "$opts" "$dev" /mnt/c
c_log=$(dmesg -c)
grep -o " /mnt/c erofs [^ ]*" /proc/mounts | grep -o "dax=[a-z]*" >/tmp/c.dax || true
erofs-manifest --ino --statx --readdir-order /mnt/c >/tmp/c.full
erofs-manifest --no-dir-size $(src_opts "$img") /mnt/c >/tmp/c.src
if [ "$(cat /proc/sys/kernel/panic_on_warn)" = 1 ]; then
	# The C erofs's DAX mmap of a block that backs a second file (chunks
	# deduplicated by mkfs.erofs) warns in dax_associate_entry on pmem
	# with struct pages, which this kernel would take for a crash: its
	# reference reads are made without DAX here (the same bytes; the
	# statx attributes, DAX among them, come from the manifests, and
	# O_DIRECT alignment rules differ without DAX).
	umount /mnt/c
	mount -t erofs -o "${opts%%,dax=always*}${opts#*dax=always}" "$dev" /mnt/c
	erofs-readcheck /mnt/c | sed 's/ statx_attr=[^ ]*//; s/ odirect=[^ ]*//' >/tmp/c.read
	nodax_reference=1
else
	erofs-readcheck /mnt/c >/tmp/c.read
	nodax_reference=0
fi
umount /mnt/c

mount -t erofs_rs -o "$opts" "$dev" /mnt/rs
rs_log=$(dmesg -c)
grep -o " /mnt/rs erofs_rs [^ ]*" /proc/mounts | grep -o "dax=[a-z]*" >/tmp/rs.dax || true
erofs-manifest --ino --statx --readdir-order /mnt/rs >/tmp/rs.full
if [ $nodax_reference = 1 ]; then
	erofs-readcheck /mnt/rs | sed 's/ statx_attr=[^ ]*//; s/ odirect=[^ ]*//' >/tmp/rs.read
else
	erofs-readcheck /mnt/rs >/tmp/rs.read
fi

diff -u /tmp/c.full /tmp/rs.full
diff -u /tmp/c.read /tmp/rs.read
diff -u /tmp/c.dax /tmp/rs.dax
diff -u /selftests/data/"$img".src /tmp/c.src
files=$(dax_files /tmp/rs.full)
echo "$img: $files DAX files; /proc/mounts: $(cat /tmp/rs.dax)"

if [ "$(dd if="$dev" bs=1 skip=1036 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')" != 12 ]; then
	# blkszbits (superblock byte 12) is not 12: blocks smaller than a
	# page, no DAX, with the C erofs's reason.
	[ "$files" = 0 ]
	echo "$c_log" | grep -q "unsupported blocksize for DAX"
	echo "$rs_log" | grep -q "unsupported blocksize for DAX"
	umount /mnt/rs
	exit 0
fi
grep -qx "dax=always" /tmp/rs.dax
# Compressed images may have no file DAX can map; the others must.
compressed=0
grep -qx "$img" /selftests/data/compressed.list && compressed=1
[ "$files" -gt 0 ] || [ $compressed = 1 ]

cached() { awk '/^Cached:/ {print $2}' /proc/meminfo; }
# The largest file that is not DAX (compressed or tail-packed), when the
# mount has a large one, is read through the page cache: Cached grows.
other=$(erofs-workload largest /mnt/rs nodax)
if [ -n "$other" ] && [ "${other%% *}" -ge 262144 ]; then
	sync
	echo 3 >/proc/sys/vm/drop_caches
	before=$(cached)
	cat "${other#* }" >/dev/null
	after=$(cached)
	echo "read ${other%% *} bytes through the page cache: Cached $before kB -> $after kB"
	[ $(((after - before) * 1024 * 2)) -ge "${other%% *}" ]
fi
# The largest DAX file: neither reading nor mapping it fills the page
# cache (a page-cache read of it would add its whole size to Cached).
# Compressed images may have no large one.
big=$(erofs-workload largest /mnt/rs dax)
size=${big%% *}
if [ "${size:-0}" -ge 262144 ]; then
	sync
	echo 3 >/proc/sys/vm/drop_caches
	before=$(cached)
	cat "${big#* }" >/dev/null
	erofs-workload mmapread "${big#* }" >/dev/null
	after=$(cached)
	echo "read and mapped $size bytes with DAX: Cached $before kB -> $after kB"
	[ $(((after - before) * 1024 * 4)) -lt "$size" ]
else
	[ $compressed = 1 ]
fi
umount /mnt/rs
