/* e2e_own_wrapper.c: an allocation wrapper of the program's own that no default rule
 * names, for test_import_wrapper_sites (the advice that suggests a rule for it):
 *   my_alloc      called by load_users (10 blocks), load_groups (20), load_roles (30)
 *                 and, through itself, by load_users' retry (1 more): 61 blocks of 3000 B
 *   make_table    1 block of 5000 B, its only caller main
 *   copy_name     1 block of 40 B each from three callers: 3 blocks, under a tenth of
 *                 the program's calls
 *   new_record    3 blocks (100, 200, 300 B) from three places of its own, 4 calls from
 *                 each of the three loaders: 36 blocks, a third of the calls, but no
 *                 thin wrapper
 * Every block is freed. Prints the number of blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP 128

static void *kept[KEEP];
static int nkept;

static void keep(void *p)
{
    if (p && nkept < KEEP)
        kept[nkept++] = p;
}

__attribute__((noinline)) static void *my_alloc(size_t size, int retry)
{
    void *p = malloc(size);
    if (retry)
        keep(my_alloc(size, 0)); /* a wrapper that calls itself is still one caller */
    return p;
}

__attribute__((noinline)) static char *copy_name(const char *name)
{
    char *s = malloc(40);
    if (s)
        snprintf(s, 40, "%s", name);
    return s;
}

__attribute__((noinline)) static void new_record(void)
{
    keep(malloc(100));
    keep(malloc(200));
    keep(malloc(300));
}

__attribute__((noinline)) static void load_users(void)
{
    for (int i = 0; i < 10; i++)
        keep(my_alloc(3000, i == 0));
    keep(copy_name("users"));
    for (int i = 0; i < 4; i++)
        new_record();
}

__attribute__((noinline)) static void load_groups(void)
{
    for (int i = 0; i < 20; i++)
        keep(my_alloc(3000, 0));
    keep(copy_name("groups"));
    for (int i = 0; i < 4; i++)
        new_record();
}

__attribute__((noinline)) static void load_roles(void)
{
    for (int i = 0; i < 30; i++)
        keep(my_alloc(3000, 0));
    keep(copy_name("roles"));
    for (int i = 0; i < 4; i++)
        new_record();
}

__attribute__((noinline)) static void *make_table(void)
{
    char *t = malloc(5000);
    if (t)
        memset(t, 0x5a, 5000); /* not a tail call (nor calloc): make_table stays on the stack */
    return t;
}

int main(void)
{
    keep(make_table());
    load_users();
    load_groups();
    load_roles();
    printf("%d blocks\n", nkept);
    for (int i = 0; i < nkept; i++)
        free(kept[i]);
    return 0;
}
