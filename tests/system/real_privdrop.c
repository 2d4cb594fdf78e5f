/* real_privdrop.c: a server that drops its privileges after start, as daemons do.
 *
 *   real_privdrop PAIRS [raw|exec]
 *       as root: 2 threads make PAIRS malloc/free pairs each and end; then setgroups,
 *       setgid and setuid to nobody (65534); then 4 threads make PAIRS pairs each (two of
 *       them take over the recorder's slots of the ended threads, two are new). With
 *       "raw", the ids change through syscall(2), for the main thread alone (the threads
 *       it starts afterwards inherit them), as code that bypasses the C library does.
 *       With "exec", it then execs itself as "real_privdrop PAIRS helper".
 *   real_privdrop PAIRS helper
 *       (as any user) the main thread makes PAIRS pairs of VC_MARK(1) bytes; reports
 *       "helper_allocs" and "helper_uid".
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

static int helper(void)
{
    for (long i = 0; i < pairs; i++) {
        void *p = malloc(VC_MARK(1));
        vc_touch(p);
        free(p);
    }
    vc_put("helper_allocs", pairs);
    vc_put("helper_uid", (long long)geteuid());
    return 3;
}

int main(int argc, char **argv)
{
    const char *how = argc == 3 ? argv[2] : "";
    if (argc < 2 || argc > 3)
        return 2;
    pairs = atol(argv[1]);
    if (strcmp(how, "helper") == 0)
        return helper();
    if (getuid() != 0)
        return 2;
    int started = wave(2);
    if (drop(strcmp(how, "raw") == 0))
        return 4;
    started += wave(4);
    vc_put("threads", started);
    vc_put("allocs", pairs * started);
    vc_put("frees", pairs * started);
    vc_put("uid", (long long)geteuid());
    vc_put("gid", (long long)getegid());
    if (strcmp(how, "exec") == 0) {
        char *args[] = {argv[0], argv[1], "helper", NULL};
        execv("/proc/self/exe", args);
        return 6;
    }
    return 3;
}
