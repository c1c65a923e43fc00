/* The userfaultfd write-protect and PAGEMAP_SCAN definitions of Linux 6.7+,
 * for older kernel headers (the build machine's may predate them; the
 * running kernel is what counts, and dirty.c falls back to full images when
 * it says no). Values from include/uapi/linux/{userfaultfd,fs}.h. */
#ifndef ENGINE_DIRTY_ABI_H
#define ENGINE_DIRTY_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#define UFFD_FEATURE_WP_ASYNC       (1 << 15)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#ifndef PAGEMAP_SCAN
struct page_region {
    __u64 start, end, categories;
};
struct pm_scan_arg {
    __u64 size, flags, start, end, walk_end, vec, vec_len, max_pages;
    __u64 category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN          _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING   (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN       (1 << 1)
#endif

#endif
