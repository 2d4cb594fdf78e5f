/* e2e_wrappers.c: allocations behind the program's own allocation wrappers, named as
 * gnulib's, git's and GLib's are (xmalloc, xstrdup over xmalloc, g_malloc0), and behind
 * one no rule knows (pool_get). Each caller makes a known number of blocks of sizes
 * libc never asks for itself. Prints "key value" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG 40
#define INDEX 70
#define NAMES 25
#define POOL 15

__attribute__((noinline)) void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

__attribute__((noinline)) char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

__attribute__((noinline)) void *g_malloc0(size_t n)
{
    void *p = calloc(1, n);
    if (!p)
        abort();
    return p;
}

__attribute__((noinline)) void *pool_get(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

static void *config[CONFIG];
static char *names[NAMES];
static char name[2300];

static __attribute__((noinline)) void parse_config(void)
{
    for (int i = 0; i < CONFIG; i++)
        config[i] = xmalloc(2100 + i % 3);
}

static __attribute__((noinline)) void build_index(void)
{
    for (int i = 0; i < INDEX; i++) {
        char *volatile p = g_malloc0(2200);
        free(p);
    }
}

static __attribute__((noinline)) void copy_names(void)
{
    memset(name, 'n', sizeof name - 1);
    for (int i = 0; i < NAMES; i++)
        names[i] = xstrdup(name);
}

static __attribute__((noinline)) void use_pool(void)
{
    for (int i = 0; i < POOL; i++) {
        char *volatile p = pool_get(2400);
        free(p);
    }
}

int main(void)
{
    parse_config();
    build_index();
    copy_names();
    use_pool();
    printf("config %d\nindex %d\nnames %d\npool %d\n", CONFIG, INDEX, NAMES, POOL);
    return 0;
}
