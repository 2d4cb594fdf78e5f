/* e2e_sites.c: two allocation sites with known counts, for the fast preset.
 *
 * keep_site makes KEEP blocks that stay live; temp_site makes TEMP blocks freed at once.
 * Neither count is a multiple of the sampling step, so a weight counted after a site's
 * last sample would show. Prints "key value" lines.
 */
#include <stdio.h>
#include <stdlib.h>

#define KEEP 300
#define TEMP 12000

static void *kept[KEEP];

static __attribute__((noinline)) void keep_site(int i)
{
    kept[i] = malloc(3400);
    *(volatile char *)kept[i] = 1;
}

static __attribute__((noinline)) void temp_site(void)
{
    void *p = malloc(3401);
    *(volatile char *)p = 1;
    free(p);
}

int main(void)
{
    for (int i = 0; i < KEEP; i++)
        keep_site(i);
    for (int i = 0; i < TEMP; i++)
        temp_site();
    printf("keep %d\ntemp %d\n", KEEP, TEMP);
    return 0;
}
