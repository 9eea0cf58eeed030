// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for what bindgen cannot express: static inline functions and
 * macros. Nothing else belongs here; the filesystem itself is Rust.
 *
 * This file and vfs/compat.rs are where the supported kernels differ
 * (6.12 LTS and 7.x; tested on 6.12.117 and 7.3.4): a shim whose kernel
 * function changed between them picks the kernel's call here, by the
 * EROFS_RS_HAVE_* flags that Kbuild sets from the kernel's headers, so
 * the Rust side sees one signature.
 */
#include "../../include/erofs_rs.h"
#include <linux/err.h>
#include <linux/major.h>
#include <crypto/sha2.h>
#include <linux/ratelimit.h>

/* errorfc() is a macro around logfc() that also prefixes the fs name. */
void erofs_rs_errorfc(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}

/* fs_parameter.type is a bitfield. */
const char *erofs_rs_param_string(struct fs_parameter *param)
{
	return param->type == fs_value_is_string ? param->string : NULL;
}

struct folio *erofs_rs_read_mapping_folio(struct address_space *mapping, pgoff_t index)
{
	return read_mapping_folio(mapping, index, NULL);
}

void *erofs_rs_kmap_local_folio(struct folio *folio, size_t offset)
{
	return kmap_local_folio(folio, offset);
}

/*
 * The address of the whole of `folio`, its pages one after the other,
 * or NULL where a folio may lie in highmem (only a page of it can be
 * mapped at a time there).
 */
void *erofs_rs_folio_address(struct folio *folio)
{
	if (IS_ENABLED(CONFIG_HIGHMEM))
		return NULL;
	return folio_address(folio);
}

void erofs_rs_kunmap_local(const void *addr)
{
	kunmap_local(addr);
}

/*
 * The page holding byte @offset of @folio, mapped with kmap (not
 * kmap_local): mapped metadata may be released in any order and kept
 * across calls (iomap_begin to iomap_end).
 */
struct page *erofs_rs_kmap_folio_page(struct folio *folio, size_t offset, void **addr)
{
	struct page *page = folio_page(folio, offset / PAGE_SIZE);

	*addr = kmap(page) + offset % PAGE_SIZE;
	return page;
}

/* Undoes erofs_rs_kmap_folio_page() and drops the folio reference. */
void erofs_rs_kunmap_put_page(struct page *page)
{
	kunmap(page);
	folio_put(page_folio(page));
}

void erofs_rs_folio_put(struct folio *folio)
{
	folio_put(folio);
}

/* The page holding byte @offset of @folio (folio_page). */
struct page *erofs_rs_folio_page(struct folio *folio, size_t offset)
{
	return folio_page(folio, offset / PAGE_SIZE);
}

/* Drops a reference on the folio of @page. */
void erofs_rs_page_folio_put(struct page *page)
{
	folio_put(page_folio(page));
}

/* vm_map_ram on any node (NUMA_NO_NODE is a macro). */
void *erofs_rs_vm_map_ram(struct page **pages, unsigned int count)
{
	return vm_map_ram(pages, count, NUMA_NO_NODE);
}

void erofs_rs_vm_unmap_ram(const void *mem, unsigned int count)
{
	vm_unmap_ram(mem, count);
}

loff_t erofs_rs_folio_pos(struct folio *folio)
{
	return folio_pos(folio);
}

size_t erofs_rs_folio_size(struct folio *folio)
{
	return folio_size(folio);
}

void erofs_rs_folio_end_read(struct folio *folio, bool success)
{
	folio_end_read(folio, success);
}

/* i_uid_write(), set_nlink(), i_size_write(), inode_set_*time() etc. */
void erofs_rs_inode_set_attrs(struct inode *inode, umode_t mode, uid_t uid, gid_t gid,
			      unsigned int nlink, loff_t size, blkcnt_t blocks,
			      time64_t sec, u32 nsec, u32 rdev_major, u32 rdev_minor)
{
	struct timespec64 ts = { .tv_sec = sec, .tv_nsec = nsec };

	inode->i_mode = mode;
	i_uid_write(inode, uid);
	i_gid_write(inode, gid);
	set_nlink(inode, nlink);
	i_size_write(inode, size);
	inode->i_blocks = blocks;
	inode_set_ctime_to_ts(inode, ts);
	inode_set_mtime_to_ts(inode, ts);
	inode_set_atime_to_ts(inode, ts);
	inode->i_rdev = MKDEV(rdev_major, rdev_minor);
}

struct address_space *erofs_rs_bdev_mapping(struct super_block *sb)
{
	return sb->s_bdev->bd_mapping;
}

struct address_space *erofs_rs_file_mapping(struct file *file)
{
	return file->f_mapping;
}

bool erofs_rs_dir_emit(struct dir_context *ctx, const char *name, int namelen,
		       u64 ino, unsigned int type)
{
	return dir_emit(ctx, name, namelen, ino, type);
}

struct inode *erofs_rs_file_inode(struct file *file)
{
	return file_inode(file);
}

struct super_block *erofs_rs_dentry_sb(struct dentry *dentry)
{
	return dentry->d_sb;
}

dev_t erofs_rs_bdev_dev(struct super_block *sb)
{
	return sb->s_bdev ? sb->s_bdev->bd_dev : 0;
}

/* u64_to_fsid() and uuid_to_fsid(), as erofs_statfs() chooses them. */
void erofs_rs_set_fsid(struct kstatfs *buf, u8 *uuid, u64 dev)
{
	static const u8 zero[16];

	if (!memcmp(uuid, zero, 16))
		buf->f_fsid = u64_to_fsid(dev);
	else
		buf->f_fsid = uuid_to_fsid(uuid);
}

struct inode *erofs_rs_folio_inode(struct folio *folio)
{
	return folio->mapping->host;
}

unsigned int erofs_rs_num_possible_cpus(void)
{
	return num_possible_cpus();
}

struct inode *erofs_rs_readahead_inode(struct readahead_control *rac)
{
	return rac->mapping->host;
}

struct folio *erofs_rs_readahead_folio(struct readahead_control *rac)
{
	return readahead_folio(rac);
}

bool erofs_rs_is_err(const void *ptr)
{
	return IS_ERR(ptr);
}

long erofs_rs_ptr_err(const void *ptr)
{
	return PTR_ERR(ptr);
}

void *erofs_rs_err_ptr(long error)
{
	return ERR_PTR(error);
}

/* Whether iget_locked() gave a new inode to fill. i_state became a
 * struct read through accessors in 6.19, and I_NEW an enum constant. */
bool erofs_rs_inode_is_new(struct inode *inode)
{
#ifdef EROFS_RS_HAVE_INODE_STATE_READ_ONCE
	return inode_state_read_once(inode) & I_NEW;
#else
	return inode->i_state & I_NEW;
#endif
}

/*
 * i_fop and i_link are members of anonymous unions in struct inode,
 * whose bindgen names (__bindgen_anon_N) change with the struct.
 */
void erofs_rs_inode_set_fop(struct inode *inode, const struct file_operations *fop)
{
	inode->i_fop = fop;
}

void erofs_rs_inode_set_link(struct inode *inode, char *link)
{
	inode->i_link = link;
}

void erofs_rs_inode_free_link(struct inode *inode)
{
	kfree(inode->i_link);
}

/*
 * iomap reads into the page cache through bios. 6.19 split
 * iomap_read_folio()/iomap_readahead() into a read context (whose bio
 * flavour is iomap_bio_read_folio()/iomap_bio_readahead()), and 7.0 gave
 * them a private argument; the bio helpers keep one signature.
 */
int erofs_rs_iomap_read_folio(struct folio *folio, const struct iomap_ops *ops)
{
#ifdef EROFS_RS_HAVE_IOMAP_BIO_READ
	iomap_bio_read_folio(folio, ops);
	return 0;
#else
	return iomap_read_folio(folio, ops);
#endif
}

void erofs_rs_iomap_readahead(struct readahead_control *rac, const struct iomap_ops *ops)
{
#ifdef EROFS_RS_HAVE_IOMAP_BIO_READ
	iomap_bio_readahead(rac, ops);
#else
	iomap_readahead(rac, ops);
#endif
}

loff_t erofs_rs_mapping_size(struct address_space *mapping)
{
	return i_size_read(mapping->host);
}

const unsigned char *erofs_rs_dentry_name(struct dentry *dentry, unsigned int *len)
{
	*len = dentry->d_name.len;
	return dentry->d_name.name;
}

/* kmem_cache_create() and kmem_cache_alloc() are macros in 6.12. */
struct kmem_cache *erofs_rs_inode_cache_create(const char *name, unsigned int size,
					       unsigned int align, void (*ctor)(void *))
{
	return kmem_cache_create(name, size, align,
				 SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT, ctor);
}

void *erofs_rs_inode_cache_alloc(struct kmem_cache *cache)
{
	return kmem_cache_alloc(cache, GFP_KERNEL);
}

/* init_user_ns is what the C erofs decodes on-disk ACLs against. */
struct posix_acl *erofs_rs_posix_acl_from_xattr(const void *value, size_t size)
{
	return posix_acl_from_xattr(&init_user_ns, value, size);
}

bool erofs_rs_capable_sys_admin(void)
{
	return capable(CAP_SYS_ADMIN);
}

struct inode *erofs_rs_d_inode(struct dentry *dentry)
{
	return d_inode(dentry);
}

/* filp_open() flags and bdev_file_open_by_path() modes are macros. */
struct file *erofs_rs_open_file(const char *path)
{
	return filp_open(path, O_RDONLY | O_LARGEFILE, 0);
}

struct file *erofs_rs_open_bdev(const char *path, void *holder)
{
	return bdev_file_open_by_path(path, BLK_OPEN_READ, holder, NULL);
}

/* S_ISREG() and a page cache we can read through. */
bool erofs_rs_file_is_readable_reg(struct file *file)
{
	return S_ISREG(file_inode(file)->i_mode) && file->f_mapping->a_ops->read_folio;
}

struct super_block *erofs_rs_file_sb(struct file *file)
{
	return file_inode(file)->i_sb;
}

/* File-backed superblocks have no bdev to sb_set_blocksize() on. */
void erofs_rs_sb_set_blocksize_raw(struct super_block *sb, unsigned int bits)
{
	sb->s_blocksize = 1UL << bits;
	sb->s_blocksize_bits = bits;
}

bool erofs_rs_sb_has_bdev(struct super_block *sb)
{
	return sb->s_bdev != NULL;
}

/*
 * Whether the superblock's device number came from the anonymous-device
 * IDA (get_tree_nodev: file-backed mounts), to be released by
 * kill_anon_super. A block-device superblock whose device failed to open
 * (setup_bdev_super) has no s_bdev yet but carries the block device's
 * number, never of major 0: it must go through kill_block_super.
 */
bool erofs_rs_sb_is_anon(struct super_block *sb)
{
	return !sb->s_bdev && MAJOR(sb->s_dev) == UNNAMED_MAJOR;
}

size_t erofs_rs_iov_iter_count(struct iov_iter *i)
{
	return iov_iter_count(i);
}

unsigned int erofs_rs_bdev_logical_block_size(struct block_device *bdev)
{
	return bdev_logical_block_size(bdev);
}

bool erofs_rs_iocb_is_direct(struct kiocb *iocb)
{
	return iocb->ki_flags & IOCB_DIRECT;
}

struct block_device *erofs_rs_sb_bdev(struct super_block *sb)
{
	return sb->s_bdev;
}

/*
 * DEFINE_READAHEAD() is a macro; starts async reads of pages not cached.
 * The mapping's invalidate_lock keeps the range from being truncated or
 * punched while folios are added: 6.12's page_cache_ra_unbounded() takes
 * it itself, 7.x's wants the caller to hold it (and asserts so under
 * lockdep: the coverage-guided fuzzer found the WARN on 7.3, and the
 * recursive locking of taking it on 6.12 too). The lock is the device's
 * (or the backing file's), a class apart from the erofs_rs inode whose
 * read brought us here.
 */
void erofs_rs_mapping_readahead(struct address_space *mapping, pgoff_t index, unsigned long nr)
{
	DEFINE_READAHEAD(ractl, NULL, NULL, mapping, index);

#ifdef EROFS_RS_RA_UNBOUNDED_CALLER_LOCKS
	filemap_invalidate_lock_shared(mapping);
#endif
	page_cache_ra_unbounded(&ractl, nr, 0);
#ifdef EROFS_RS_RA_UNBOUNDED_CALLER_LOCKS
	filemap_invalidate_unlock_shared(mapping);
#endif
}

/* readahead_pos() and readahead_length() are static inlines. */
void erofs_rs_readahead_range(struct readahead_control *rac, loff_t *pos, size_t *len)
{
	*pos = readahead_pos(rac);
	*len = readahead_length(rac);
}

/*
 * FSDAX (data.rs, vfs/iomap.rs): files read and mapped straight from the
 * memory of a DAX-capable device. The dax entry points are stubs or
 * absent without CONFIG_FS_DAX, where no device has DAX.
 */
struct dax_device *erofs_rs_dax_get(struct block_device *bdev, u64 *part_off)
{
	return fs_dax_get_by_bdev(bdev, part_off, NULL, NULL);
}

void erofs_rs_dax_put(struct dax_device *dax)
{
	fs_put_dax(dax, NULL);
}

void erofs_rs_inode_set_dax(struct inode *inode)
{
	inode->i_flags |= S_DAX;
}

/*
 * Lets the page cache of `inode` hold folios of more than one page, as
 * erofs_fill_inode allows every inode's (mapping_set_large_folios is
 * inline).
 */
void erofs_rs_inode_set_large_folios(struct inode *inode)
{
	mapping_set_large_folios(inode->i_mapping);
}

/*
 * Records that `inode` has no POSIX ACL, so permission checks never ask
 * for one (cache_no_acl is inline; without CONFIG_FS_POSIX_ACL there is
 * nothing to record).
 */
void erofs_rs_inode_cache_no_acl(struct inode *inode)
{
#ifdef CONFIG_FS_POSIX_ACL
	cache_no_acl(inode);
#endif
}

bool erofs_rs_inode_is_dax(const struct inode *inode)
{
	return IS_DAX(inode);
}

ssize_t erofs_rs_dax_read_iter(struct kiocb *iocb, struct iov_iter *to, const struct iomap_ops *ops)
{
#ifdef CONFIG_FS_DAX
	return dax_iomap_rw(iocb, to, ops);
#else
	return -EOPNOTSUPP;
#endif
}

vm_fault_t erofs_rs_dax_fault(struct vm_fault *vmf, unsigned int order, const struct iomap_ops *ops)
{
#ifdef CONFIG_FS_DAX
	return dax_iomap_fault(vmf, order, NULL, NULL, ops);
#else
	return VM_FAULT_SIGBUS;
#endif
}

/*
 * mmap of a regular file: DAX inodes fault straight from the device
 * (@dax_ops), read-only, with huge pages where aligned; the others map
 * their page cache read-only.
 */
#ifdef EROFS_RS_HAVE_MMAP_PREPARE
int erofs_rs_dax_mmap_prepare(struct vm_area_desc *desc, const struct vm_operations_struct *dax_ops)
{
	if (!IS_DAX(file_inode(desc->file)))
		return generic_file_readonly_mmap_prepare(desc);
#ifdef vma_desc_test_all
	if (vma_desc_test_all(desc, VMA_SHARED_BIT, VMA_MAYWRITE_BIT))
		return -EINVAL;
	vma_desc_set_flags(desc, VMA_HUGEPAGE_BIT);
#else
	if ((desc->vm_flags & VM_SHARED) && (desc->vm_flags & VM_MAYWRITE))
		return -EINVAL;
	desc->vm_flags |= VM_HUGEPAGE;
#endif
	desc->vm_ops = dax_ops;
	return 0;
}
#else
int erofs_rs_dax_mmap(struct file *file, struct vm_area_struct *vma,
		      const struct vm_operations_struct *dax_ops)
{
	if (!IS_DAX(file_inode(file)))
		return generic_file_readonly_mmap(file, vma);
	if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE))
		return -EINVAL;
	vma->vm_ops = dax_ops;
	vm_flags_set(vma, VM_HUGEPAGE);
	return 0;
}
#endif

/* super_operations::evict_inode: what evict() does, after DAX's part. */
void erofs_rs_evict_inode(struct inode *inode)
{
#ifdef EROFS_RS_HAVE_DAX_BREAK_LAYOUT_FINAL
	if (IS_DAX(inode))
		dax_break_layout_final(inode);
#endif
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

/*
 * Rate limit of erofs_rs's error and warning messages (vfs/printk.rs):
 * generous enough that every mount of a corrupt image says why, while a
 * corrupt image read in a loop cannot flood the log.
 */
static DEFINE_RATELIMIT_STATE(erofs_rs_ratelimit_state, 5 * HZ, 100);

bool erofs_rs_ratelimit(void)
{
	return __ratelimit(&erofs_rs_ratelimit_state);
}

/*
 * drop_inode of the shared inodes of page cache sharing (vfs/ishare.rs):
 * always evict at the last reference. 7.0 renamed generic_delete_inode().
 */
int erofs_rs_drop_inode_always(struct inode *inode)
{
#ifdef EROFS_RS_HAVE_INODE_JUST_DROP
	return inode_just_drop(inode);
#else
	return generic_delete_inode(inode);
#endif
}

/* Page cache sharing: an open file reads through another inode's cache. */
void erofs_rs_file_set_mapping(struct file *file, struct address_space *mapping)
{
	file->f_mapping = mapping;
}

bool erofs_rs_file_is_direct(struct file *file)
{
	return file->f_flags & O_DIRECT;
}

/*
 * SHA-256 of file contents (the checking mode of page cache sharing).
 * 6.16 replaced struct sha256_state with struct sha256_ctx; both are
 * hashed with sha256_init/update/final.
 */
#ifdef EROFS_RS_HAVE_SHA256_CTX
typedef struct sha256_ctx erofs_rs_sha256_t;
#else
typedef struct sha256_state erofs_rs_sha256_t;
#endif

void *erofs_rs_sha256_new(void)
{
	erofs_rs_sha256_t *ctx = kmalloc(sizeof(*ctx), GFP_KERNEL);

	if (ctx)
		sha256_init(ctx);
	return ctx;
}

void erofs_rs_sha256_update(void *ctx, const u8 *data, size_t len)
{
	sha256_update(ctx, data, len);
}

/* Writes the digest (32 bytes) to `out` if not NULL, and frees `ctx`. */
void erofs_rs_sha256_finish(void *ctx, u8 *out)
{
	u8 digest[SHA256_DIGEST_SIZE];

	sha256_final(ctx, digest);
	if (out)
		memcpy(out, digest, sizeof(digest));
	kfree_sensitive(ctx);
}

#ifdef EROFS_RS_FSCACHE
/*
 * fscache on-demand mode (vfs/fscache.rs). fscache's entry points for
 * filesystems are static inlines over exported __fscache_* functions and
 * over the cache backend's netfs_cache_ops.
 */
struct fscache_volume *erofs_rs_fscache_acquire_volume(const char *key, const char *cache_name)
{
	return fscache_acquire_volume(key, cache_name, NULL, 0);
}

void erofs_rs_fscache_relinquish_volume(struct fscache_volume *volume)
{
	fscache_relinquish_volume(volume, NULL, false);
}

/*
 * A cookie in use. On-demand cachefiles refuses to open an object whose
 * user does not ask for the cache's size (FSCACHE_ADV_WANT_CACHE_SIZE).
 */
struct fscache_cookie *erofs_rs_fscache_acquire_cookie(struct fscache_volume *volume,
						       const void *key, size_t len)
{
	struct fscache_cookie *cookie;

	cookie = fscache_acquire_cookie(volume, FSCACHE_ADV_WANT_CACHE_SIZE,
					key, len, NULL, 0, 0);
	if (cookie)
		fscache_use_cookie(cookie, false);
	return cookie;
}

void erofs_rs_fscache_drop_cookie(struct fscache_cookie *cookie)
{
	fscache_unuse_cookie(cookie, NULL, NULL);
	fscache_relinquish_cookie(cookie, false);
}

int erofs_rs_fscache_begin_read(struct netfs_cache_resources *cres, struct fscache_cookie *cookie)
{
	return fscache_begin_read_operation(cres, cookie);
}

/*
 * Asks the cache how much of [start, start + *len) it can read in one go,
 * having the daemon fill it first (on demand); false when it cannot.
 */
bool erofs_rs_fscache_prepare_read(struct netfs_cache_resources *cres, loff_t start, size_t *len)
{
	unsigned long flags = 1 << NETFS_SREQ_ONDEMAND;

	return cres->ops->prepare_ondemand_read(cres, start, len, LLONG_MAX, &flags, 0) ==
		NETFS_READ_FROM_CACHE && *len;
}

/* 0 once queued; done() is called in every case, also on errors. */
int erofs_rs_fscache_read(struct netfs_cache_resources *cres, loff_t start, struct iov_iter *iter,
			  netfs_io_terminated_t done, void *priv)
{
	int ret = fscache_read(cres, start, iter, NETFS_READ_HOLE_FAIL, done, priv);

	return ret == -EIOCBQUEUED ? 0 : ret;
}

void erofs_rs_fscache_end_operation(struct netfs_cache_resources *cres)
{
	fscache_end_operation(cres);
}

/* An iterator over bytes [start, start + len) of a page cache, to be filled. */
void erofs_rs_iov_iter_mapping(struct iov_iter *iter, struct address_space *mapping,
			       loff_t start, size_t len)
{
	iov_iter_xarray(iter, ITER_DEST, &mapping->i_pages, start, len);
}

/* Zeroes bytes [pos, pos + len) of a page cache whose folios we hold locked. */
size_t erofs_rs_mapping_zero(struct address_space *mapping, loff_t pos, size_t len)
{
	struct iov_iter iter;

	iov_iter_xarray(&iter, ITER_DEST, &mapping->i_pages, pos, len);
	return iov_iter_zero(len, &iter);
}

/* Copies @len bytes at @src into [pos, pos + len) of a page cache, likewise. */
size_t erofs_rs_mapping_copy(struct address_space *mapping, loff_t pos, const void *src, size_t len)
{
	struct iov_iter iter;

	iov_iter_xarray(&iter, ITER_DEST, &mapping->i_pages, pos, len);
	return copy_to_iter(src, len, &iter);
}

/*
 * Ends the read of the locked folios covering [start, start + len) of a
 * page cache (xas_for_each is a macro): uptodate if @ok, then unlocked.
 */
void erofs_rs_mapping_end_read(struct address_space *mapping, loff_t start, size_t len, bool ok)
{
	struct folio *folio;
	XA_STATE(xas, &mapping->i_pages, start / PAGE_SIZE);

	rcu_read_lock();
	xas_for_each(&xas, folio, (start + len) / PAGE_SIZE - 1) {
		if (xas_retry(&xas, folio))
			continue;
		if (ok)
			folio_mark_uptodate(folio);
		/* Past the folio before unlocking it: it may be split then. */
		xas_advance(&xas, folio_next_index(folio) - 1);
		folio_unlock(folio);
	}
	rcu_read_unlock();
}

void erofs_rs_iov_iter_truncate(struct iov_iter *iter, size_t count)
{
	iov_iter_truncate(iter, count);
}

void erofs_rs_iov_iter_reexpand(struct iov_iter *iter, size_t count)
{
	iov_iter_reexpand(iter, count);
}

/*
 * An inode of the pseudo filesystem whose page cache holds a blob: as
 * large as a file can be (the blob's size is the cache's business), read
 * through `aops`, with `private` for them.
 */
struct inode *erofs_rs_blob_inode(struct super_block *sb, const struct address_space_operations *aops,
				  unsigned int blkbits, void *private)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_size = OFFSET_MAX;
	inode->i_mapping->a_ops = aops;
	mapping_set_gfp_mask(inode->i_mapping, GFP_KERNEL);
	inode->i_blkbits = blkbits;
	inode->i_private = private;
	return inode;
}

/* Guards the shared domains and their blobs (vfs/fscache.rs). */
static DEFINE_MUTEX(erofs_rs_domains_mutex);

void erofs_rs_domains_lock(void)
{
	mutex_lock(&erofs_rs_domains_mutex);
}

void erofs_rs_domains_unlock(void)
{
	mutex_unlock(&erofs_rs_domains_mutex);
}
#endif

/*
 * alloc_workqueue() is a macro on 7.x (alloc_hooks). The module's queue
 * runs the decoding of readahead as z_erofs_workqueue does in C:
 * unbound, high priority; max_active 0 (the default) so that readahead
 * of a file-backed mount nested on another never waits for a free slot.
 */
struct workqueue_struct *erofs_rs_alloc_workqueue(const char *name)
{
	return alloc_workqueue("%s", WQ_UNBOUND | WQ_HIGHPRI, 0, name);
}

unsigned int erofs_rs_readahead_count(struct readahead_control *rac)
{
	return readahead_count(rac);
}
