/* victim_progress.c: allocation loops whose progress can be checked after a hard end.
 *
 *   loop T FILE   T threads allocate and free VC_MARK(thread) forever; after each malloc
 *                 returns, the thread stores its count of completed mallocs in slot
 *                 `thread` of FILE (a shared mapping), which survives SIGKILL.
 *   rounds N      main allocates and frees VC_MARK(0) N times and reports N; used under
 *                 a small file size limit or a full disk. Reports with write(2) only.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "victim_common.h"

#define MAX_THREADS 64

static uint64_t *progress;

static void *loop(void *arg)
{
    intptr_t index = (intptr_t)arg;
    for (uint64_t done = 0;;) {
        void *p = malloc(VC_MARK(index));
        vc_touch(p);
        __atomic_store_n(&progress[index], ++done, __ATOMIC_RELEASE);
        free(p);
    }
    return NULL;
}

static int run_loop(int threads, const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0 || threads < 1 || threads > MAX_THREADS)
        return 2;
    progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (progress == MAP_FAILED)
        return 3;
    pthread_t pt;
    for (intptr_t i = 1; i < threads; i++)
        pthread_create(&pt, NULL, loop, (void *)i);
    loop((void *)0);
    return 0;
}

static int run_rounds(long rounds)
{
    for (long i = 0; i < rounds; i++) {
        void *p = malloc(VC_MARK(0));
        vc_touch(p);
        free(p);
    }
    vc_put("allocs", rounds);
    vc_put("frees", rounds);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "loop"))
        return run_loop(atoi(argv[2]), argv[3]);
    if (argc == 3 && !strcmp(argv[1], "rounds"))
        return run_rounds(atol(argv[2]));
    return 2;
}
