/* bench_error.h: the one error table of the benchmark programs.
 *
 * Functions that can fail return 0 or one of these negative codes; main turns a code
 * into a message and an exit status. Nothing here allocates.
 */
#ifndef BENCH_ERROR_H
#define BENCH_ERROR_H

#define BENCH_ERRORS(X)                                                                            \
    X(BENCH_OK, 0, "ok")                                                                           \
    X(BENCH_EUSAGE, -1, "bad command line")                                                        \
    X(BENCH_ENOMEM, -2, "out of memory")                                                           \
    X(BENCH_ETHREAD, -3, "cannot start a thread")                                                  \
    X(BENCH_EIO, -4, "cannot read or write a file")                                                \
    X(BENCH_ESPAWN, -5, "cannot run the command")                                                  \
    X(BENCH_ECOUNT, -6, "allocation and free counts disagree")

enum bench_error {
#define BENCH_ERROR_ENUM(name, num, msg) name = num,
    BENCH_ERRORS(BENCH_ERROR_ENUM)
#undef BENCH_ERROR_ENUM
};

static inline const char *bench_strerror(int code)
{
    switch (code) {
#define BENCH_ERROR_CASE(name, num, msg)                                                           \
    case num:                                                                                      \
        return msg;
        BENCH_ERRORS(BENCH_ERROR_CASE)
#undef BENCH_ERROR_CASE
    }
    return "unknown error";
}

#endif
