# Corrupt compressed images never crash the kernel: 240 more seeded
# mutations, of the compressed seed images only (lz4, lz4hc with big
# pclusters and ztailpacking, lzma with fragments and dedupe, deflate with
# legacy indexes, zstd with all-fragments), so map headers, indexes and
# compressed bytes get hit and every file is read back every way. Not in
# the multidev mode: mkfs.erofs puts only chunk-based data on extra
# devices, so none of these seeds has a device table (t-corrupt-images
# runs the multi-device seed). Nor in the fscache mode: the images it got
# in turn were all of block sizes fscache mode refuses (t-corrupt-images
# runs it); the modes left are those of 7.3, where this passes.
SKIP_MODES=multidev,fscache COUNT=240 FUZZ_SEED=5 SEEDS="$(ls /selftests/seeds/lz4*.img /selftests/seeds/lzma*.img /selftests/seeds/deflate*.img /selftests/seeds/zstd*.img)" \
	sh -e /selftests/t-corrupt-images.sh
