# Shared settings for the host scripts in tools/. Sourced, not run.
# Everything that is slow to make (Debian root, kernel source, kernel build)
# lives in a cache outside the repository so a fresh clone reuses it.

set -euo pipefail
# Under set -e a failing command ends the script without a word; say which
# one, so that a CI log shows where (not in `set +e` stretches, whose
# failures are expected and handled).
trap 'err_rc=$?; [[ $- != *e* ]] || echo "error: ${0##*/}:$LINENO: exit $err_rc: $BASH_COMMAND" >&2' ERR

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${EROFS_RS_CACHE:-/var/cache/erofs-rs}
ROOTFS=$CACHE/rootfs-trixie
# Debian forky: erofs-utils 1.9.x, for the images only 7.x's C driver reads.
ROOTFS_NEXT=$CACHE/rootfs-forky
# The test kernel: KERNEL=6.12 (default) or 7.3, one file each in kernel/.
KERNEL=${KERNEL:-6.12}
KERNEL_FILE=$REPO_ROOT/kernel/linux-source-$KERNEL.version
[ -f "$KERNEL_FILE" ] || { echo "error: no test kernel '$KERNEL' (kernel/linux-source-*.version)" >&2; exit 1; }
kernel_field() { sed -n "s/^$1=//p" "$KERNEL_FILE"; }
KERNEL_PKG_VERSION=$(kernel_field version)
KERNEL_PKG_NAME=$(kernel_field package)
KERNEL_SUITE=$(kernel_field suite)
# make's LLVM= for this kernel ("1" or a version suffix such as "-19"),
# the matching clang, and the libclang that bindgen must load.
KERNEL_LLVM=$(kernel_field llvm)
# With several LLVMs installed, bindgen would load the newest libclang,
# which may not know the flags the kernel's clang is given.
case "$KERNEL_LLVM" in
-*) KERNEL_CLANG=clang$KERNEL_LLVM ;;
*) KERNEL_CLANG=clang ;;
esac
KERNEL_LIBCLANG=
if command -v "$KERNEL_CLANG" >/dev/null; then
	KERNEL_LIBCLANG=/usr/lib/llvm-$("$KERNEL_CLANG" --version | sed -n 's/.*clang version \([0-9]*\)\..*/\1/p' | head -n1)/lib
fi
export KERNEL
BINDGEN_VERSION=0.72.1

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this machine already uses, read from its apt
# configuration (deb822 or one-line format). We never name a registry host
# in the repository.
debian_mirror() {
	local uri
	uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $2 !~ /security/ {print ($2 ~ /^\[/ ? $3 : $2); exit}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in the apt configuration"
	printf '%s\n' "$uri"
}

# Config fragments of a kernel flavor: "" (the test kernel) or "debug";
# kernel/config-$KERNEL.fragment adds what one kernel alone has.
kernel_fragments() {
	printf '%s\n' "$REPO_ROOT/kernel/config.fragment"
	[ ! -f "$REPO_ROOT/kernel/config-$KERNEL.fragment" ] || printf '%s\n' "$REPO_ROOT/kernel/config-$KERNEL.fragment"
	[ "${1:-}" = debug ] && printf '%s\n' "$REPO_ROOT/kernel/config-debug.fragment"
	true
}

# Key of the cached kernel build: what produced it.
kernel_build_key() {
	local frag_hash rustc_v bindgen_v clang_v flavor=${1:-}
	# shellcheck disable=SC2046
	frag_hash=$(cat $(kernel_fragments "$flavor") | sha256sum | cut -c1-12)
	rustc_v=$(rustc --version | awk '{print $2}')
	clang_v=$($KERNEL_CLANG --version | head -n1 | grep -o '[0-9]\+\.[0-9.]\+' | head -n1)
	printf '%s-%s%s-rustc%s-clang%s\n' "$KERNEL_PKG_VERSION" "${flavor:+$flavor-}" "$frag_hash" "$rustc_v" "$clang_v"
}

# The build tree of a kernel flavor ("" or "debug").
KBUILD_DIR() { printf '%s/kbuild/%s\n' "$CACHE" "$(kernel_build_key "${1:-}")"; }

# Where erofs_rs.ko is built for the current KERNEL and flavor $1 ("" or
# "debug"). The default kernel's module is built in the repository, as
# `make` does; an out-of-tree build writes next to its sources, so every
# other kernel and flavor gets a copy of them in the cache.
module_dir() {
	if [ "$KERNEL" = 6.12 ] && [ -z "${1:-}" ]; then
		printf '%s\n' "$REPO_ROOT"
	else
		printf '%s/modbuild-%s%s\n' "$CACHE" "$KERNEL" "${1:+-$1}"
	fi
}

# Builds erofs_rs.ko for the current KERNEL and flavor $1 into module_dir.
build_module() {
	local flavor=${1:-} src kdir
	src=$(module_dir "$flavor")
	kdir=$(KBUILD_DIR "$flavor")
	if [ "$src" != "$REPO_ROOT" ]; then
		# The sources only (tracked, or new and not ignored): build
		# outputs of another kernel (objects, Module.symvers, *.mod.c)
		# must not reach this tree's build. Copied by content, stamped
		# with the time of the copy: another clone's older files must
		# not look older than the objects built from this one's.
		mkdir -p "$src"
		git -C "$REPO_ROOT" ls-files -z -c -o --exclude-standard -- Kbuild Makefile include fs |
			rsync -rlpc --from0 --files-from=- "$REPO_ROOT"/ "$src"/
	fi
	log "building erofs_rs.ko against $kdir"
	make -s -C "$src" KDIR="$kdir" modules >&2 || die "building erofs_rs.ko against $kdir failed"
}

export PATH="$HOME/.cargo/bin:$PATH"

# An ext4 image holding the host's perf and the libraries it loads (with
# their loader), for profiling in the guest, whose busybox root has none:
# run there as LOADER --library-path LIB perf. Cached by perf's hash.
perf_kit() {
	if ! command -v perf >/dev/null; then
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >/dev/null
	fi
	local bin key img dir
	bin=$(readlink -f "$(command -v perf)")
	key=$(sha256sum "$bin" | cut -c1-12)
	img=$CACHE/perfkit-$key.img
	if [ ! -f "$img" ]; then
		dir=$(mktemp -d)
		mkdir -p "$dir/lib"
		cp "$bin" "$dir/perf"
		ldd "$bin" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' |
			while read -r lib; do cp -L "$lib" "$dir/lib/"; done
		mkfs.ext4 -q -F -d "$dir" "$img.tmp" 128M >/dev/null
		mv "$img.tmp" "$img"
		rm -rf "$dir"
	fi
	echo "$img"
}
