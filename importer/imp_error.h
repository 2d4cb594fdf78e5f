/* imp_error.h: the importer's error codes, one X-macro table for enum, name and message.
 *
 * Functions that can fail return 0 or one of these negative codes; the message for the
 * user is built once, where the error is met. Never renumber: tests compare codes.
 */
#ifndef IMP_ERROR_H
#define IMP_ERROR_H

#define IMP_ERRORS(X)                                                                              \
    X(IMP_OK, 0, "ok")                                                                             \
    X(IMP_EUSAGE, -1, "usage error")                                                               \
    X(IMP_EIO, -2, "input/output error")                                                           \
    X(IMP_ENOMEM, -3, "out of memory")                                                             \
    X(IMP_EVERSION, -4, "unsupported trace format version")                                        \
    X(IMP_ENOTRACE, -5, "no trace files in the directory")                                         \
    X(IMP_EDB, -6, "database error")                                                               \
    X(IMP_EEXIST, -7, "the target exists (use --force to replace it)")                             \
    X(IMP_EINTR, -8, "interrupted")                                                                \
    X(IMP_EREAD, -9, "cannot read a trace file")

enum imp_error {
#define IMP_ERR_ENUM(name, num, msg) name = num,
    IMP_ERRORS(IMP_ERR_ENUM)
#undef IMP_ERR_ENUM
};

const char *imp_strerror(int code);

#endif
