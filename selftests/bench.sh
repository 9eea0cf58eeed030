#!/bin/sh
# Guest half of `make bench` (tools/bench), not a test. For every image
# and workload it runs each driver in turn (C erofs, erofs_rs, C erofs,
# erofs_rs, ...; squashfs and ext4 images with their own driver), REPS
# times, on a fresh mount: cold runs drop the caches first, warm runs
# repeat the workload right after a first pass. The guest's load is
# printed before each image (L lines). Prints one line per run:
#   R IMAGE WORKLOAD DRIVER REP NANOSECONDS UNITS
# and memory lines:
#   M IMAGE DRIVER slab_per_inode BYTES | M IMAGE DRIVER cached_after_read BYTES
#
#   bench.sh REPS [ONLY [MAX_REPS [PERFKIT]]]
# ONLY, an extended regex, keeps the runs whose "IMAGE WORKLOAD" matches
# (workloads: the run names below, mount+umount-x20, memory). Workloads
# of erofs images run on past REPS, up to MAX_REPS (3 x REPS), until the
# ratio of the two drivers is stable. PERFKIT, the name of a disk with
# perf and its libraries (tools/lib/common.sh perf_kit): the first
# repetition of every erofs workload runs under perf record, and its flat
# profile is printed, a line per symbol after the number of samples
# (10,000 a second on each CPU, idle included):
#   P IMAGE WORKLOAD DRIVER samples N
#   P IMAGE WORKLOAD DRIVER PERCENT DSO SYMBOL
. /selftests/lib.sh
reps=$1
only=${2:-.}
max_reps=${3:-$((reps * 3))}
perf=""
if [ -n "${4:-}" ]; then
	mkdir -p /perfkit
	mount -o ro "$(disk_of "$4")" /perfkit
	for loader in /perfkit/lib/ld-linux*; do :; done
	perf="$loader --library-path /perfkit/lib /perfkit/perf"
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo 0 >/proc/sys/kernel/kptr_restrict
fi

# Runs a workload command, under perf record when profiling (its first
# repetition of an erofs image), and prints the flat profile.
measure() { # image workload driver rep command...
	if [ -z "$perf" ] || [ "$4" != 1 ] || [ -z "$(drivers "$1" | grep erofs)" ]; then
		shift 4
		"$@"
		return
	fi
	p_img=$1 p_wl=$2 p_drv=$3
	shift 4
	$perf record -q -e cpu-clock -F 10000 -a -o /tmp/perf.data -- "$@" || return
	$perf report -i /tmp/perf.data --stdio --sort dso,sym --percent-limit 0.3 2>/dev/null |
		awk -v p="P $p_img $p_wl $p_drv" '/^# Samples:/ { print p, "samples", $3 } /^ *[0-9.]+%/ { $1 = $1; print p, $0 }' | head -n 60 >&2
}

wanted() { # image workload
	echo "$1 $2" | grep -Eq -- "$only"
}
for m in erofs erofs_rs squashfs ext4; do modprobe $m; done
mkdir -p /mnt/b
echo "S kernel $(uname -r)"
echo "S cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "S mem_kib $(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"

drivers() { # image -> drivers that read it
	case "$1" in
	erofs-* | big-*) echo "erofs erofs_rs" ;;
	sq-*) echo squashfs ;;
	ext4) echo ext4 ;;
	esac
}

mnt() { # driver dev
	case "$1" in
	ext4) mount -t ext4 -o ro,noload "$2" /mnt/b ;;
	*) mount -t "$1" -o ro "$2" /mnt/b ;;
	esac
}

# Whether the C/Rust ratio of the paired runs so far is stable: the
# interquartile range of the paired ratios (C time / erofs_rs time of the
# same repetition) within 8 % of their median.
stable() { # "C times" "erofs_rs times"
	echo "$1|$2" | awk -F'|' '{
		n = split($1, c, " "); m = split($2, r, " ")
		if (m < n) n = m
		if (n < 3) exit 1
		for (i = 1; i <= n; i++) q[i] = c[i] / r[i]
		for (i = 2; i <= n; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
		lo = q[int((n + 3) / 4)]; hi = q[n + 1 - int((n + 3) / 4)]; mid = q[int((n + 1) / 2)]
		exit !((hi - lo) <= 0.08 * mid)
	}'
}

# Runs a workload REPS times per driver, and for erofs images on until
# the two drivers' ratio is stable (see `stable`), at most MAX_REPS times.
run() { # image workload cold|warm command...
	img=$1 wl=$2 mode=$3
	shift 3
	wanted "$img" "$wl" || return 0
	dev=$(disk_of "$img")
	rep=0 c_ns="" rs_ns=""
	while :; do
		rep=$((rep + 1))
		for drv in $(drivers "$img"); do
			mnt "$drv" "$dev"
			if [ "$mode" = cold ]; then
				sync
				echo 3 >/proc/sys/vm/drop_caches
			else
				"$@" >/dev/null
			fi
			r=$(measure "$img" "$wl" "$drv" "$rep" "$@") || { echo "E $img $wl $drv failed"; umount /mnt/b; continue; }
			echo "R $img $wl $drv $rep $r"
			case $drv in
			erofs) c_ns="$c_ns ${r%% *}" ;;
			erofs_rs) rs_ns="$rs_ns ${r%% *}" ;;
			esac
			umount /mnt/b
		done
		[ "$rep" -lt "$reps" ] && continue
		[ -z "$rs_ns" ] || [ "$rep" -ge "$max_reps" ] && break
		stable "$c_ns" "$rs_ns" && break
	done
}

mountcycles() { # image
	wanted "$1" mount+umount-x20 || return 0
	dev=$(disk_of "$1")
	for rep in $(seq 1 "$reps"); do
		for drv in $(drivers "$1"); do
			echo 3 >/proc/sys/vm/drop_caches
			opts=$drv
			r=$(erofs-workload mountcycle "$opts" "$dev" /mnt/b 20) || { echo "E $1 mount $drv failed"; continue; }
			echo "R $1 mount+umount-x20 $drv $rep $r"
		done
	done
}

meminfo() { # field -> bytes
	echo $(($(sed -n "s/^$1: *\([0-9]*\).*/\1/p" /proc/meminfo) * 1024))
}

memory() { # image
	wanted "$1" memory || return 0
	dev=$(disk_of "$1")
	for drv in $(drivers "$1"); do
		mnt "$drv" "$dev"
		sync
		echo 3 >/proc/sys/vm/drop_caches
		s0=$(meminfo Slab)
		n=$(erofs-workload walk /mnt/b/usr | cut -d' ' -f2)
		s1=$(meminfo Slab)
		echo "M $1 $drv slab_per_inode $(((s1 - s0) / n))"
		echo 3 >/proc/sys/vm/drop_caches
		c0=$(meminfo Cached)
		erofs-workload seqread /mnt/b/big 131072 >/dev/null
		c1=$(meminfo Cached)
		echo "M $1 $drv cached_after_read $((c1 - c0))"
		umount /mnt/b
	done
}

for img in erofs-plain erofs-lz4hc-64k erofs-lz4hc-4k sq-plain sq-lz4 ext4; do
	echo "L $img $(cut -d' ' -f1-3 /proc/loadavg)"
	run $img seq-4k cold erofs-workload seqread /mnt/b/big 4096
	run $img seq-128k cold erofs-workload seqread /mnt/b/big 131072
	run $img seq-128k-warm warm erofs-workload seqread /mnt/b/big 131072
	run $img rand-4k cold erofs-workload randread /mnt/b/big 4096 2000 42
	run $img walk-stat cold erofs-workload walk /mnt/b/usr
	run $img walk-stat-warm warm erofs-workload walk /mnt/b/usr
	run $img readdir-50k cold erofs-workload readdir /mnt/b/bigdir
	run $img lookup-2000 cold erofs-workload lookup /mnt/b/bigdir 2000 7
	run $img cat-1000 cold erofs-workload catfiles /mnt/b /selftests/data/files.list
	run $img cat-1000-warm warm erofs-workload catfiles /mnt/b /selftests/data/files.list
	mountcycles $img
	memory $img
done
for img in big-lzma big-deflate big-zstd; do
	run $img seq-128k cold erofs-workload seqread /mnt/b/big 131072
done
echo "bench: done"
