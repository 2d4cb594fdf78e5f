/* imp_clock.h: the monotonic clock the importer times its phases with (imp_clock.c). */
#ifndef IMP_CLOCK_H
#define IMP_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean something. */
double imp_clock_now_s(void);

#endif
