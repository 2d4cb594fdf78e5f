/* victim_sites.c: two call sites for the sampling presets.
 *
 * Site A allocates VC_MARK(100) many times, site B VC_MARK(600) a few times; everything
 * is freed. The counts are fixed: 968 = 8 + 15 * 64 (first 8, then one in 64).
 */
#include <stdlib.h>

#include "victim_common.h"

#define SITE_A 968
#define SITE_B 20

static void __attribute__((noinline)) site_a(void)
{
    for (int i = 0; i < SITE_A; i++) {
        void *p = malloc(VC_MARK(100));
        vc_touch(p);
        free(p);
    }
}

static void __attribute__((noinline)) site_b(void)
{
    for (int i = 0; i < SITE_B; i++) {
        void *p = malloc(VC_MARK(600));
        vc_touch(p);
        free(p);
    }
}

int main(void)
{
    site_a();
    site_b();
    vc_put("site_a.allocs", SITE_A);
    vc_put("site_b.allocs", SITE_B);
    return 0;
}
