/* mtdb_runtime_modules.h: the libraries whose code is the runtime's, not the user's.
 *
 * One list for both sides: the recorder's fast preset (rec_runtime.c) walks past these
 * modules to find the user's call site, and the importer's site rules (the
 * 'runtime_module' rows of sql/15-tables-analyses.sql) skip them when naming a stack's
 * user frame. Each entry is a pattern on the module's file name where '*' matches any
 * run of characters (an SQL GLOB); tests/format checks the two lists are the same.
 */
#ifndef MTDB_RUNTIME_MODULES_H
#define MTDB_RUNTIME_MODULES_H

#define MTDB_RUNTIME_MODULES(X)                                                                     \
    X("libc.so*")                                                                                  \
    X("libc-*.so")                                                                                 \
    X("ld-linux*")                                                                                 \
    X("ld-*.so*")                                                                                  \
    X("libstdc++.so*")                                                                             \
    X("libgcc_s.so*")                                                                              \
    X("libm.so*")                                                                                  \
    X("libpthread.so*")                                                                            \
    X("libdl.so*")                                                                                 \
    X("librt.so*")                                                                                 \
    X("libc++.so*")                                                                                \
    X("libc++abi.so*")                                                                             \
    X("libmtrec.so*")                                                                              \
    X("linux-vdso.so*")

#endif
