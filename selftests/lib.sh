#!/bin/sh
# Helpers sourced by the guest tests (and runnable as "lib.sh FUNC").

# The kernel log must hold no sign of a kernel bug after a test.
check_dmesg() {
	# kernel-bug-patterns is shared with erofs-fuzz's /dev/kmsg watcher.
	if dmesg | grep -F -f /selftests/kernel-bug-patterns >/tmp/dmesg-bad; then
		echo "kernel log shows a problem:"
		cat /tmp/dmesg-bad
		return 1
	fi
}

# The virtio disk that carries a test image, by the name tools/mkimages
# gave it (/selftests/data/disks lists names in attachment order).
disk_of() {
	n=0
	for d in a b c d e f g h i j k l m n o p q r s t u v w x y z; do
		n=$((n + 1))
		line=$(sed -n "${n}p" /selftests/data/disks 2>/dev/null)
		[ "$line" = "$1" ] && { echo /dev/vd$d; return 0; }
	done
	echo "no disk named $1" >&2
	return 1
}

# Options erofs-manifest needs to compare a mount of IMAGE with its source
# tree: images made with compact inodes keep no per-file mtime (the
# manifest options tools/mkimages used for their .src files).
src_opts() {
	case "$1" in
	u-compact | z-lz4-compact) echo --no-mtime ;;
	esac
}

# Both drivers loaded and both mount points made; prints IMAGE's disk.
prepare_pair() {
	modprobe erofs
	modprobe erofs_rs
	mkdir -p /mnt/c /mnt/rs
	disk_of "$1"
}

if [ "${0##*/}" = lib.sh ] && [ $# -gt 0 ]; then
	"$@"
fi
