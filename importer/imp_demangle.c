/* imp_demangle.c: C++ name demangling through libstdc++'s __cxa_demangle, and the short
 * form of a demangled name (template arguments and parameter lists elided, as heaptrack
 * shows them). Must return malloc'd strings the caller frees, or NULL only when out of
 * memory; must never read past the name it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "imp_demangle.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *imp_demangle(const char *name)
{
    if (!name)
        return NULL;
    if (name[0] == '_' && name[1] == 'Z') {
        int status = -1;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d && status == 0)
            return d;
        free(d);
    }
    return strdup(name);
}

/* 1 when out[0..n) ends with one of the words (NULL-terminated list). */
static int imp_ends_with_any(const char *out, size_t n, const char *const *words)
{
    for (; *words; words++) {
        size_t k = strlen(*words);
        if (n >= k && memcmp(out + n - k, *words, k) == 0)
            return 1;
    }
    return 0;
}

/* 1 when c at out[n] continues an operator's name ("operator()", "operator<<=") rather
 * than opening a template argument or parameter list. */
static int imp_in_operator_name(const char *out, size_t n, char c)
{
    static const char *const paren[] = {"operator", NULL};
    static const char *const angle[] = {"operator", "operator<", NULL};
    return imp_ends_with_any(out, n, c == '(' ? paren : angle);
}

/* 1 when the word that ends at s[i] starts with "operator" ("operator new", "operator<"). */
static int imp_word_is_operator(const char *s, size_t i)
{
    size_t b = i;
    while (b && s[b - 1] != ' ' && s[b - 1] != ':')
        b--;
    return i - b >= 8 && memcmp(s + b, "operator", 8) == 0;
}

/* Index just past the bracket that closes the one at s[i] (open/close), or strlen. */
static size_t imp_skip_group(const char *s, size_t i, char open, char close)
{
    int depth = 0;
    for (; s[i]; i++) {
        if (s[i] == open)
            depth++;
        else if (s[i] == close && --depth == 0)
            return i + 1;
    }
    return i;
}

/* Copies name into out with the contents of every template argument list and parameter
 * list dropped ("<>", "()"); "(anonymous namespace)" and operator names stay whole. */
static size_t imp_elide(const char *name, char *out)
{
    size_t n = 0;
    for (size_t i = 0; name[i];) {
        char c = name[i];
        if ((c == '<' || c == '(') && !imp_in_operator_name(out, n, c)) {
            if (c == '(' && !strncmp(name + i, "(anonymous namespace)", 21)) {
                memcpy(out + n, name + i, 21);
                n += 21, i += 21;
                continue;
            }
            out[n++] = c;
            out[n++] = c == '<' ? '>' : ')';
            i = imp_skip_group(name, i, c, c == '<' ? '>' : ')');
            continue;
        }
        out[n++] = c;
        i++;
    }
    out[n] = 0;
    return n;
}

/* Where the name proper starts in an elided name: after a return type ("void ", "int* ")
 * that the demangler puts before function templates. Spaces inside "{lambda()#1}",
 * "(anonymous namespace)" and operator names ("operator new") do not count. */
static size_t imp_name_start(const char *s)
{
    size_t start = 0;
    int braces = 0, parens = 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (c == '{')
            braces++;
        else if (c == '}')
            braces--;
        else if (c == '(' && !braces && !parens && i && s[i + 1] == ')' &&
                 !imp_in_operator_name(s, i, c))
            break; /* the parameter list */
        else if (c == '(')
            parens++;
        else if (c == ')')
            parens--;
        else if (c == ' ' && !braces && !parens && !imp_word_is_operator(s, i))
            start = i + 1;
    }
    return start;
}

char *imp_short_name(const char *name)
{
    if (!name)
        return NULL;
    size_t len = strlen(name);
    char *out = malloc(len + 2);
    if (!out)
        return NULL;
    imp_elide(name, out);
    size_t start = imp_name_start(out);
    if (start)
        memmove(out, out + start, strlen(out + start) + 1);
    return out;
}
