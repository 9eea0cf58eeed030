# Corrupt compressed images never crash the kernel: 240 more seeded
# mutations of the compressed seed images (lz4, lz4hc with big pclusters
# and ztailpacking, lzma with fragments and dedupe, deflate with legacy
# indexes, zstd with all-fragments): map headers, indexes and compressed
# bytes get hit, and every file is read back in full.
SEED_BASE=5000000 ROUNDS=40 SEEDS="$(ls /selftests/seeds/lz4*.img /selftests/seeds/lzma*.img /selftests/seeds/deflate*.img /selftests/seeds/zstd*.img)" \
	sh -e /selftests/t-corrupt-images.sh
