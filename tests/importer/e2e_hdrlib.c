/* e2e_hdrlib.c: blocks allocated inside a header-only library's code (e2e_hdrlib.h),
 * for test_import_wrapper_sites:
 *   load_config   30 copies of "keyNN" by hdrlib_dup, kept  (2206 bytes each)
 *   build_cache   20 buffers by hdrlib_buffer, freed        (2250 bytes each)
 * Prints "key value" lines.
 */
#include <stdio.h>

#include "e2e_hdrlib.h"

static char *config[30];

__attribute__((noinline)) static void load_config(void)
{
    char key[8];
    for (int i = 0; i < 30; i++) {
        snprintf(key, sizeof key, "key%02d", i);
        config[i] = hdrlib_dup(key);
    }
}

__attribute__((noinline)) static size_t build_cache(void)
{
    size_t sum = 0;
    for (int i = 0; i < 20; i++) {
        char *b = hdrlib_buffer(2250);
        sum += b ? (size_t)(b[i] + 1) : 0;
        free(b);
    }
    return sum;
}

int main(void)
{
    load_config();
    printf("config 30\ncache %zu\n", build_cache());
    return config[29] ? 0 : 1;
}
