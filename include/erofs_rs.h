/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel headers erofs_rs needs beyond what the kernel crate's own
 * bindings cover. Kbuild runs bindgen over this file with the kernel's
 * bindgen flags; the result is fs/erofs_rs/bindings/bindings_generated.rs.
 */
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#ifdef EROFS_RS_FSCACHE
#include <linux/fscache.h>
#include <linux/netfs.h>
#endif
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/exportfs.h>
#include <linux/fiemap.h>
#include <linux/filelock.h>
#include <linux/highmem.h>
#include <linux/iomap.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/uidgid.h>
#include <linux/xattr.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/xz.h>
#include <linux/zlib.h>
#include <linux/zstd.h>

/*
 * C shims for static inline functions and macros (fs/erofs_rs/helpers.c).
 * Each mirrors one kernel inline or macro of the same name.
 */
void erofs_rs_errorfc(struct fs_context *fc, const char *msg);
const char *erofs_rs_param_string(struct fs_parameter *param);
struct folio *erofs_rs_read_mapping_folio(struct address_space *mapping, pgoff_t index);
void *erofs_rs_kmap_local_folio(struct folio *folio, size_t offset);
void *erofs_rs_folio_address(struct folio *folio);
void erofs_rs_kunmap_local(const void *addr);
struct page *erofs_rs_kmap_folio_page(struct folio *folio, size_t offset, void **addr);
void erofs_rs_kunmap_put_page(struct page *page);
void erofs_rs_folio_put(struct folio *folio);
struct page *erofs_rs_folio_page(struct folio *folio, size_t offset);
void erofs_rs_page_folio_put(struct page *page);
void *erofs_rs_vm_map_ram(struct page **pages, unsigned int count);
void erofs_rs_vm_unmap_ram(const void *mem, unsigned int count);
loff_t erofs_rs_folio_pos(struct folio *folio);
size_t erofs_rs_folio_size(struct folio *folio);
void erofs_rs_folio_end_read(struct folio *folio, bool success);
void erofs_rs_inode_set_attrs(struct inode *inode, umode_t mode, uid_t uid, gid_t gid,
			      unsigned int nlink, loff_t size, blkcnt_t blocks,
			      time64_t sec, u32 nsec, u32 rdev_major, u32 rdev_minor);
struct address_space *erofs_rs_bdev_mapping(struct super_block *sb);
struct address_space *erofs_rs_file_mapping(struct file *file);
bool erofs_rs_dir_emit(struct dir_context *ctx, const char *name, int namelen,
		       u64 ino, unsigned int type);
struct inode *erofs_rs_file_inode(struct file *file);
struct super_block *erofs_rs_dentry_sb(struct dentry *dentry);
dev_t erofs_rs_bdev_dev(struct super_block *sb);
void erofs_rs_set_fsid(struct kstatfs *buf, u8 *uuid, u64 dev);
struct inode *erofs_rs_folio_inode(struct folio *folio);
unsigned int erofs_rs_num_possible_cpus(void);
struct workqueue_struct *erofs_rs_alloc_workqueue(const char *name);
struct inode *erofs_rs_readahead_inode(struct readahead_control *rac);
struct folio *erofs_rs_readahead_folio(struct readahead_control *rac);
unsigned int erofs_rs_readahead_count(struct readahead_control *rac);
bool erofs_rs_is_err(const void *ptr);
long erofs_rs_ptr_err(const void *ptr);
void *erofs_rs_err_ptr(long error);
bool erofs_rs_inode_is_new(struct inode *inode);
void erofs_rs_inode_set_fop(struct inode *inode, const struct file_operations *fop);
void erofs_rs_inode_set_link(struct inode *inode, char *link);
void erofs_rs_inode_free_link(struct inode *inode);
int erofs_rs_iomap_read_folio(struct folio *folio, const struct iomap_ops *ops);
void erofs_rs_iomap_readahead(struct readahead_control *rac, const struct iomap_ops *ops);
loff_t erofs_rs_mapping_size(struct address_space *mapping);
const unsigned char *erofs_rs_dentry_name(struct dentry *dentry, unsigned int *len);
struct kmem_cache *erofs_rs_inode_cache_create(const char *name, unsigned int size,
					       unsigned int align, void (*ctor)(void *));
void *erofs_rs_inode_cache_alloc(struct kmem_cache *cache);
struct posix_acl *erofs_rs_posix_acl_from_xattr(const void *value, size_t size);
bool erofs_rs_capable_sys_admin(void);
struct inode *erofs_rs_d_inode(struct dentry *dentry);
struct file *erofs_rs_open_file(const char *path);
struct file *erofs_rs_open_bdev(const char *path, void *holder);
bool erofs_rs_file_is_readable_reg(struct file *file);
struct super_block *erofs_rs_file_sb(struct file *file);
void erofs_rs_sb_set_blocksize_raw(struct super_block *sb, unsigned int bits);
bool erofs_rs_sb_has_bdev(struct super_block *sb);
bool erofs_rs_sb_is_anon(struct super_block *sb);
size_t erofs_rs_iov_iter_count(struct iov_iter *i);
unsigned int erofs_rs_bdev_logical_block_size(struct block_device *bdev);
bool erofs_rs_iocb_is_direct(struct kiocb *iocb);
struct block_device *erofs_rs_sb_bdev(struct super_block *sb);
void erofs_rs_mapping_readahead(struct address_space *mapping, pgoff_t index, unsigned long nr);
void erofs_rs_readahead_range(struct readahead_control *rac, loff_t *pos, size_t *len);
struct dax_device *erofs_rs_dax_get(struct block_device *bdev, u64 *part_off);
void erofs_rs_dax_put(struct dax_device *dax);
void erofs_rs_inode_set_dax(struct inode *inode);
void erofs_rs_inode_set_large_folios(struct inode *inode);
void erofs_rs_inode_cache_no_acl(struct inode *inode);
bool erofs_rs_inode_is_dax(const struct inode *inode);
ssize_t erofs_rs_dax_read_iter(struct kiocb *iocb, struct iov_iter *to, const struct iomap_ops *ops);
vm_fault_t erofs_rs_dax_fault(struct vm_fault *vmf, unsigned int order, const struct iomap_ops *ops);
#ifdef EROFS_RS_HAVE_MMAP_PREPARE
int erofs_rs_dax_mmap_prepare(struct vm_area_desc *desc, const struct vm_operations_struct *dax_ops);
#else
int erofs_rs_dax_mmap(struct file *file, struct vm_area_struct *vma,
		      const struct vm_operations_struct *dax_ops);
#endif
void erofs_rs_evict_inode(struct inode *inode);
int erofs_rs_drop_inode_always(struct inode *inode);
bool erofs_rs_ratelimit(void);
void erofs_rs_file_set_mapping(struct file *file, struct address_space *mapping);
bool erofs_rs_file_is_direct(struct file *file);
void *erofs_rs_sha256_new(void);
void erofs_rs_sha256_update(void *ctx, const u8 *data, size_t len);
void erofs_rs_sha256_finish(void *ctx, u8 *out);

#ifdef EROFS_RS_FSCACHE
struct fscache_volume *erofs_rs_fscache_acquire_volume(const char *key, const char *cache_name);
void erofs_rs_fscache_relinquish_volume(struct fscache_volume *volume);
struct fscache_cookie *erofs_rs_fscache_acquire_cookie(struct fscache_volume *volume,
						       const void *key, size_t len);
void erofs_rs_fscache_drop_cookie(struct fscache_cookie *cookie);
int erofs_rs_fscache_begin_read(struct netfs_cache_resources *cres, struct fscache_cookie *cookie);
bool erofs_rs_fscache_prepare_read(struct netfs_cache_resources *cres, loff_t start, size_t *len);
int erofs_rs_fscache_read(struct netfs_cache_resources *cres, loff_t start, struct iov_iter *iter,
			  netfs_io_terminated_t done, void *priv);
void erofs_rs_fscache_end_operation(struct netfs_cache_resources *cres);
void erofs_rs_iov_iter_mapping(struct iov_iter *iter, struct address_space *mapping,
			       loff_t start, size_t len);
size_t erofs_rs_mapping_zero(struct address_space *mapping, loff_t pos, size_t len);
size_t erofs_rs_mapping_copy(struct address_space *mapping, loff_t pos, const void *src, size_t len);
void erofs_rs_mapping_end_read(struct address_space *mapping, loff_t start, size_t len, bool ok);
void erofs_rs_iov_iter_truncate(struct iov_iter *iter, size_t count);
void erofs_rs_iov_iter_reexpand(struct iov_iter *iter, size_t count);
struct inode *erofs_rs_blob_inode(struct super_block *sb, const struct address_space_operations *aops,
				  unsigned int blkbits, void *private);
void erofs_rs_domains_lock(void);
void erofs_rs_domains_unlock(void);
#endif
