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

# "not CMD...": succeeds when CMD fails. A test line "! CMD" can never
# fail a test: POSIX exempts a negated pipeline from `set -e`.
not() {
	if "$@"; then
		return 1
	fi
	return 0
}

# The virtio disk that carries a test image, by the name tools/mkimages
# gave it (/selftests/data/disks lists names in attachment order).
disk_of() {
	# The Nth disk is vd + N in base 26 with letters (a..z, aa, ab, ...).
	n=$(grep -nx -- "$1" /selftests/data/disks 2>/dev/null | head -n1 | cut -d: -f1)
	if [ -z "$n" ]; then
		echo "no disk named $1" >&2
		return 1
	fi
	echo "/dev/vd$(echo "$n" | awk '{ s = ""; n = $1; while (n > 0) { n--; s = substr("abcdefghijklmnopqrstuvwxyz", n % 26 + 1, 1) s; n = int(n / 26) } print s }')"
}

# The virtio-pmem device of image NAME (tools/vm --pmem, in the order of
# /selftests/data/pmems).
pmem_of() {
	n=0
	while read -r line; do
		[ "$line" = "$1" ] && { echo /dev/pmem$n; return 0; }
		n=$((n + 1))
	done </selftests/data/pmems
	echo "no pmem device named $1" >&2
	return 1
}

# Options erofs-manifest needs to compare a mount of IMAGE with its source
# tree: images made with compact inodes keep no per-file mtime (the
# manifest options tools/mkimages used for their .src files).
src_opts() {
	case "$1" in
	u-compact | z-lz4-compact) echo --no-mtime ;;
	n-48bit* | n-dot-omitted | n-metabox*) echo --mtime-seconds ;;
	esac
}

# Both drivers loaded and both mount points made; prints IMAGE's disk.
prepare_pair() {
	modprobe erofs
	modprobe erofs_rs
	mkdir -p /mnt/c /mnt/rs
	disk_of "$1"
}

# fscache on-demand mode exists in this kernel: cachefiles is there (the
# 6.12 test kernel; the 7.3 one has none, as 7.2 removed on-demand reads).
have_fscache() {
	modprobe cachefiles 2>/dev/null && [ -e /dev/cachefiles ]
}

# Ends a test that needs fscache on-demand mode as skipped (status 77)
# on a kernel without it.
need_fscache() {
	if ! have_fscache; then
		echo "no fscache on-demand mode in this kernel"
		exit 77
	fi
}

# A filesystem cachefiles can keep a cache on (tmpfs cannot): a fresh
# ext4 in a loop file, at /mnt/cache (under /mnt, so that the runner
# unmounts it after the test; the loop device goes with the mount).
cache_fs() { # [MiB, default 64]
	grep -q ' /mnt/cache ' /proc/mounts && return 0
	mkdir -p /mnt/cache
	dd if=/dev/zero of=/tmp/cache.ext4 bs=1M count="${1:-64}" 2>/dev/null
	loop=$(losetup -f)
	losetup "$loop" /tmp/cache.ext4
	mke2fs -q "$loop" >/dev/null
	losetup -d "$loop"
	mount -t ext4 -o loop /tmp/cache.ext4 /mnt/cache
	# The loop device keeps the file's blocks until it is detached.
	rm /tmp/cache.ext4
}

# Starts erofs-ondemand on a fresh cache directory /mnt/cache/NAME with the
# options given (where the blobs come from, ...), and waits until its
# cache is bound; $daemon is its pid, its log /tmp/daemon-NAME.log.
start_daemon() { # NAME OPTION...
	name=$1
	shift
	cache_fs
	rm -rf "/mnt/cache/$name"
	mkdir -p "/mnt/cache/$name"
	erofs-ondemand --cache "/mnt/cache/$name" "$@" 2>"/tmp/daemon-$name.log" &
	daemon=$!
	for _ in $(seq 100); do
		grep -q ' bound' "/tmp/daemon-$name.log" && return 0
		kill -0 $daemon 2>/dev/null || break
		sleep 0.1
	done
	echo "erofs-ondemand did not bind its cache:"
	cat "/tmp/daemon-$name.log"
	return 1
}

stop_daemon() {
	kill "$daemon" 2>/dev/null || true
	wait "$daemon" 2>/dev/null || true
}

if [ "${0##*/}" = lib.sh ] && [ $# -gt 0 ]; then
	"$@"
fi
