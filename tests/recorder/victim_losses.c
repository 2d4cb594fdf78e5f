/* victim_losses.c: programs that take from the recorder what it needs to write.
 *
 *   fds N          lowers RLIMIT_NOFILE to 20 and opens every descriptor left, then main
 *                  and one thread each make N malloc/free pairs of VC_MARK(0)
 *   threads T N    T short-lived threads, 8 at a time, each N pairs (run on a full disk)
 *   dropuid N      as root: 2 threads make N pairs each, then setgid/setuid to nobody,
 *                  then 4 threads make N pairs each (a daemon dropping privileges)
 *
 * Each reports "allocs" and "frees" it made and "threads" it started, with write(2).
 */
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "victim_common.h"

static long pairs;

static void *churn(void *arg)
{
    (void)arg;
    for (long i = 0; i < pairs; i++) {
        void *p = malloc(VC_MARK(0));
        vc_touch(p);
        free(p);
    }
    return NULL;
}

/* Starts n threads running churn and joins them; returns how many started. */
static int wave(int n)
{
    pthread_t th[8];
    int started = 0;
    for (int i = 0; i < n && i < 8; i++)
        started += pthread_create(&th[started], NULL, churn, NULL) == 0;
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return started;
}

static void report(long threads, long all_pairs)
{
    vc_put("threads", threads);
    vc_put("allocs", all_pairs);
    vc_put("frees", all_pairs);
}

static int run_fds(void)
{
    struct rlimit lim = {20, 20};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 3;
    while (open("/dev/null", O_RDONLY) >= 0)
        ;
    churn(NULL);
    int started = wave(1);
    report(started, pairs * (1 + started));
    return 0;
}

static int run_threads(int total)
{
    int started = 0;
    for (int left = total; left > 0; left -= 8)
        started += wave(left < 8 ? left : 8);
    report(started, pairs * started);
    return 0;
}

static int run_dropuid(void)
{
    int started = wave(2);
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        return 4;
    started += wave(4);
    report(started, pairs * started);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3)
        pairs = atol(argv[argc - 1]);
    if (argc == 3 && !strcmp(argv[1], "fds"))
        return run_fds();
    if (argc == 4 && !strcmp(argv[1], "threads"))
        return run_threads(atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "dropuid"))
        return run_dropuid();
    return 2;
}
