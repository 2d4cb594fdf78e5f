/* imp_demangle.h: C++ names for people (imp_demangle.c). Both return malloc'd strings
 * the caller frees, NULL only when out of memory.
 */
#ifndef IMP_DEMANGLE_H
#define IMP_DEMANGLE_H

/* Demangled copy of name (a plain copy when it is not a C++ name). */
char *imp_demangle(const char *name);

/* The short form of a demangled name: template arguments, parameter lists and a leading
 * return type elided ("std::vector<>::push_back()"). */
char *imp_short_name(const char *name);

#endif
