/* real_privdrop.c: a server that drops its privileges after start, as daemons do.
 *
 *   real_privdrop PAIRS [raw]
 *       as root: 2 threads make PAIRS malloc/free pairs each and end; then setgroups,
 *       setgid and setuid to nobody (65534); then 4 threads make PAIRS pairs each (two of
 *       them take over the recorder's slots of the ended threads, two are new). With
 *       "raw", the ids change through syscall(2), for the main thread alone (the threads
 *       it starts afterwards inherit them), as code that bypasses the C library does.
 *
 * Reports "threads", "allocs", "frees", "uid" and "gid" (after the drop) with write(2),
 * and ends with status 3, so that a recorder which changed either would show. Its blocks
 * are VC_MARK(0) bytes, a size nothing else asks for.
 */
#include <grp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "victim_common.h"

#define NOBODY 65534

static long pairs;
static pthread_barrier_t all_attached;

/* The threads of a wave wait for each other after their first pair: by then each has its
 * recorder slot, so none ends (freeing its slot) before the last one has taken one. */
static void *churn(void *arg)
{
    (void)arg;
    for (long i = 0; i < pairs; i++) {
        void *p = malloc(VC_MARK(0));
        vc_touch(p);
        free(p);
        if (i == 0)
            pthread_barrier_wait(&all_attached);
    }
    return NULL;
}

/* n threads (at most 4) at once, joined; returns n (status 5 when one cannot start). */
static int wave(int n)
{
    pthread_t th[4];
    pthread_barrier_init(&all_attached, NULL, (unsigned)n);
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, churn, NULL) != 0)
            _exit(5);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&all_attached);
    return n;
}

static int drop(int raw)
{
    if (raw)
        return syscall(SYS_setgroups, 0, NULL) != 0 ||
               syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY) != 0 ||
               syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) != 0;
    return setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0;
}

int main(int argc, char **argv)
{
    int raw = argc == 3 && strcmp(argv[2], "raw") == 0;
    if (argc != 2 + raw || getuid() != 0)
        return 2;
    pairs = atol(argv[1]);
    int started = wave(2);
    if (drop(raw))
        return 4;
    started += wave(4);
    vc_put("threads", started);
    vc_put("allocs", pairs * started);
    vc_put("frees", pairs * started);
    vc_put("uid", (long long)geteuid());
    vc_put("gid", (long long)getegid());
    return 3;
}
