# Shared settings for the host scripts in tools/. Sourced, not run.
# Everything that is slow to make (Debian root, kernel source, kernel build)
# lives in a cache outside the repository so a fresh clone reuses it.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${EROFS_RS_CACHE:-/var/cache/erofs-rs}
ROOTFS=$CACHE/rootfs-trixie
KERNEL_PKG_VERSION=$(sed -n 's/^version=//p' "$REPO_ROOT/kernel/linux-source.version")
KERNEL_PKG_NAME=$(sed -n 's/^package=//p' "$REPO_ROOT/kernel/linux-source.version")
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

# Config fragments of a kernel flavor: "" (the test kernel) or "debug".
kernel_fragments() {
	printf '%s\n' "$REPO_ROOT/kernel/config.fragment"
	[ "${1:-}" = debug ] && printf '%s\n' "$REPO_ROOT/kernel/config-debug.fragment"
	true
}

# Key of the cached kernel build: what produced it.
kernel_build_key() {
	local frag_hash rustc_v bindgen_v clang_v flavor=${1:-}
	# shellcheck disable=SC2046
	frag_hash=$(cat $(kernel_fragments "$flavor") | sha256sum | cut -c1-12)
	rustc_v=$(rustc --version | awk '{print $2}')
	clang_v=$(clang --version | head -n1 | grep -o '[0-9]\+\.[0-9.]\+' | head -n1)
	printf '%s-%s%s-rustc%s-clang%s\n' "$KERNEL_PKG_VERSION" "${flavor:+$flavor-}" "$frag_hash" "$rustc_v" "$clang_v"
}

# The build tree of a kernel flavor ("" or "debug").
KBUILD_DIR() { printf '%s/kbuild/%s\n' "$CACHE" "$(kernel_build_key "${1:-}")"; }

export PATH="$HOME/.cargo/bin:$PATH"
