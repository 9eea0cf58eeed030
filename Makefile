# SPDX-License-Identifier: GPL-2.0
# erofs-rs: build the module against a Rust-enabled kernel, and the
# project's entry points.
#
#   make KDIR=/path/to/kernel/build   build erofs_rs.ko
#   make demo [KERNEL=7.3]            main job: build all, mount an image in QEMU
#   make demo-dax-root [KERNEL=7.3]   boot a guest whose root is an erofs_rs image on pmem, DAX
#   make check [KERNEL=7.3]           every test (host and guest) on one test kernel
#   make check-all                    make check on every test kernel (6.12, 7.3): CI
#   make check-debug                  the guest tests on a KASAN/lockdep/kmemleak kernel
#   make fuzz-kernel ITER=N SEED=S [DEBUG=1]   in-guest corrupted-image fuzzer
#   make stress [SECS=600] [DEBUG=1]  16 readers, cache drops, mount cycles
#   make bench [REPS=5]               erofs_rs vs C erofs (squashfs, ext4 as references)
#   make bench-fscache / bench-dax    the same for fscache on-demand mode and FSDAX
#   make bench-next [KERNEL=7.3]      erofs-utils 1.9.x layouts against the classic one
#   make bench-ishare [KERNEL=7.3]    page cache sharing: two Debian releases' /usr
#   make rust-analyzer [KDIR=...]     rust-project.json for editors
#
# KDIR defaults to the cached test kernel that tools/setup builds
# (KERNEL=6.12, the default, or KERNEL=7.3).

KERNEL ?= 6.12
KDIR ?= $(shell KERNEL=$(KERNEL) tools/setup kdir 2>/dev/null)
# Our cached test kernels record the LLVM (and libclang for bindgen) they
# were built with; a kernel of yours is assumed to be an LLVM=1 build.
-include $(KDIR)/erofs-rs-toolchain.mk
LLVM ?= 1

.PHONY: all modules install clean demo demo-dax-root check check-all check-debug fuzz-kernel stress bench bench-fscache bench-dax bench-next bench-ishare host-test setup rust-analyzer
all: modules

modules:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || { echo "KDIR is not a kernel build tree: '$(KDIR)'"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) modules

# Installs erofs_rs.ko for KDIR's kernel (lib/modules/RELEASE/updates,
# under INSTALL_MOD_PATH when given) and updates its module dependencies,
# so that `modprobe erofs_rs` and `mount -t erofs_rs` (alias fs-erofs_rs)
# find it.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) $(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $$(cat $(KDIR)/include/config/kernel.release)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) clean
	rm -f fs/erofs_rs/bindings/bindings_generated.rs

setup:
	tools/setup all

# rust-project.json for editors: the module crate and the kernel's crates.
rust-analyzer:
	tools/rust-analyzer $(if $(filter command line,$(origin KDIR)),$(KDIR))

host-test:
	cargo test --workspace --release

demo:
	tools/demo

demo-dax-root:
	tools/demo-dax-root --kernel $(KERNEL)

check:
	tools/check

check-all:
	tools/check-all

check-debug:
	tools/check-debug

ITER ?= 1000
SEED ?= 1
# COVERAGE=1: guided by KCOV on the debug kernel, resumable from the
# corpus under the cache; MODE=loop,file,dax,multidev,share,fscache (all).
fuzz-kernel:
	COVERAGE=$(COVERAGE) MODE=$(MODE) tools/fuzz-kernel $(ITER) $(SEED) $(if $(DEBUG),debug)

SECS ?= 600
stress:
	tools/stress $(SECS) $(if $(DEBUG),debug)

REPS ?= 5
bench:
	tools/bench $(REPS)

# fscache on-demand throughput, erofs_rs against the C erofs (6.12).
bench-fscache:
	tools/bench-fscache $(REPS)

# FSDAX on virtio-pmem: reads and page faults, erofs_rs against the C erofs.
bench-dax:
	tools/bench-dax $(REPS)

# Whole-tree reads of 48-bit and metabox images against the classic layout.
bench-next:
	tools/bench-next $(if $(filter 5,$(REPS)),3,$(REPS))

# Page cache used and read time, with and without inode_share.
bench-ishare:
	tools/bench-ishare $(if $(filter 5,$(REPS)),3,$(REPS))
